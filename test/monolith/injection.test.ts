import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type MonolithUnderTest, startMonolithProcess } from './support.ts';

const hostile = [
  "'; DROP TABLE products; --",
  '" OR 1=1 --',
  '<script>alert("x")</script>',
  '100% cotton',
  'snake_case_name',
  'back\\slash \\\\ and \\n literal',
  'emoji 🐍🚀 and ZWJ 👩‍👩‍👧 family',
  'Ünïcödé ñ — “quotes” ’',
  'tab\tand\nnewline',
  '%',
  '_',
  '\\',
  '!%_',
  'NULL',
  '{"json": true}',
];

describe('hostile input is stored and returned as plain data (monolith process)', () => {
  let shop: MonolithUnderTest;
  const ids = new Map<string, number>();

  beforeAll(async () => {
    shop = await startMonolithProcess('inj');
    await call(shop.base, 'POST', '/products', {
      sku: 'PLAIN',
      name: 'Plain product',
      price: '1.00',
      category: 'misc',
    });
    for (const [i, text] of hostile.entries()) {
      const reply = await call(shop.base, 'POST', '/products', {
        sku: `H-${i}`,
        name: text,
        description: text,
        price: '1.00',
        category: text.slice(0, 64),
        attributes: { note: text, [text]: text },
      });
      expect(reply.status).toBe(201);
      ids.set(text, reply.body.id);
    }
  });
  afterAll(() => shop?.stop());

  it.each(hostile)('round-trips %j unchanged', async (text) => {
    const product = (await call(shop.base, 'GET', `/products/${ids.get(text)}`)).body;
    expect(product).toMatchObject({
      name: text,
      description: text,
      category: text,
      attributes: { note: text, [text]: text },
    });
    const row = await shop
      .knex('products')
      .where({ id: ids.get(text) })
      .first('name');
    expect(row.name).toBe(text);
  });

  it('left every table in place', async () => {
    expect(await shop.knex.schema.hasTable('products')).toBe(true);
    expect((await call(shop.base, 'GET', '/products?pageSize=100')).body.total).toBe(hostile.length + 1);
  });

  it.each([
    ['%', ['100% cotton', '%', '!%_']],
    ['_', ['snake_case_name', '_', '!%_']],
    ['\\', ['back\\slash \\\\ and \\n literal', '\\']],
    ['!', ['!%_']],
    ["'; DROP", ["'; DROP TABLE products; --"]],
    ['🚀', ['emoji 🐍🚀 and ZWJ 👩‍👩‍👧 family']],
  ])('search q=%j matches literally', async (q, expected) => {
    const reply = await call(shop.base, 'GET', `/products?q=${encodeURIComponent(q)}&pageSize=100`);
    expect(reply.status).toBe(200);
    expect(reply.body.items.map((p: { name: string }) => p.name).sort()).toEqual([...expected].sort());
  });

  it('treats a hostile category filter as a plain value', async () => {
    const text = "'; DROP TABLE products; --";
    const reply = await call(shop.base, 'GET', `/products?category=${encodeURIComponent(text)}`);
    expect(reply.body.items.map((p: { id: number }) => p.id)).toEqual([ids.get(text)]);
  });

  it('stores hostile user names and emails as data', async () => {
    const name = "Robert'); DROP TABLE users;-- <b>";
    const reply = await call(shop.base, 'POST', '/users', { email: "o'brien+tag@example.com", name });
    expect(reply.status).toBe(201);
    expect((await call(shop.base, 'GET', `/users/${reply.body.id}`)).body).toMatchObject({
      name,
      email: "o'brien+tag@example.com",
    });
    expect(await shop.knex.schema.hasTable('users')).toBe(true);
  });
});
