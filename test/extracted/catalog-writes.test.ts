import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { dryRunHeader, parseSqlTag } from '../../contract/index.ts';
import { catalogIdBase } from '../../extracted/catalog/data-access/migrations.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import {
  call,
  errorOf,
  isoMillis,
  type MonolithUnderTest,
  type Reply,
  startMonolithProcess,
} from '../monolith/support.ts';
import { type ServiceUnderTest, startService } from './support.ts';

/**
 * The catalog's product writes against the monolith's, both real processes on their own
 * databases: the same request gets the same status and body from both (the ids and times each
 * side makes up aside), every validation error included; a dry run answers the same and leaves
 * the store as it was.
 */
let monolith: MonolithUnderTest;
let broker: TestBroker;
let catalog: ServiceUnderTest;
let store: Knex;
let storeName: string;

/** Copies legacy's products (ids, times, stock) into the catalog's store, as the projection would. */
async function mirrorLegacy(): Promise<void> {
  await store.raw(
    `INSERT INTO catalog_products (id, sku, name, description, price, category, attributes, created_at, updated_at, product_exists, stock)
     SELECT p.id, p.sku, p.name, p.description, p.price, p.category, p.attributes, p.created_at, p.updated_at, 1, i.stock
     FROM \`${monolith.db.name}\`.products p LEFT JOIN \`${monolith.db.name}\`.inventory i ON i.product_id = p.id
     ON DUPLICATE KEY UPDATE sku = VALUES(sku), name = VALUES(name), description = VALUES(description), price = VALUES(price),
       category = VALUES(category), attributes = VALUES(attributes), created_at = VALUES(created_at),
       updated_at = VALUES(updated_at), stock = VALUES(stock)`,
  );
}

const storeRows = async () => Number((await store('catalog_products').count({ n: '*' }))[0]!.n);

/** What a side made up itself (the new row's id, its times) is the same kind, not the same value. */
function comparable(reply: Reply): unknown {
  if (reply.status >= 300 || !reply.body || typeof reply.body !== 'object') return reply.body;
  const { id, createdAt, updatedAt, ...rest } = reply.body;
  expect(id).toBeTypeOf('number');
  expect(createdAt).toMatch(isoMillis);
  expect(updatedAt).toMatch(isoMillis);
  return rest;
}

async function both(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const legacy = await call(monolith.base, method, path, body, headers);
  const service = await call(catalog.base, method, path, body, headers);
  return { legacy, service };
}

async function expectSameAnswer(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const { legacy, service } = await both(method, path, body, headers);
  expect(
    { status: service.status, body: comparable(service) },
    `${method} ${path} ${JSON.stringify(body)}`,
  ).toEqual({
    status: legacy.status,
    body: comparable(legacy),
  });
  return { legacy, service };
}

beforeAll(async () => {
  monolith = await startMonolithProcess('wshop');
  broker = await startTestBroker();
  storeName = `${monolith.db.name}_cat`;
  catalog = await startService('catalog', {
    MYSQL_URL: monolith.db.serverUrl,
    KAFKA_BROKERS: broker.brokers.join(','),
    SHOP_DB: monolith.db.name,
    CATALOG_DB: storeName,
    CDC_TOPIC_PREFIX: `w${Date.now()}`,
  });
  store = createMysqlKnex(monolith.db.serverUrl, storeName, { min: 0, max: 2 });
  for (const n of [1, 2, 3]) {
    const created = await call(monolith.base, 'POST', '/products', {
      sku: `BASE-${n}`,
      name: `Base product ${n}`,
      price: '10.00',
      category: 'tools',
      stock: 5,
    });
    expect(created.status).toBe(201);
  }
  await mirrorLegacy();
}, 120_000);

afterAll(async () => {
  await catalog?.proc.stop('SIGTERM');
  await store?.raw(`DROP DATABASE IF EXISTS \`${storeName}\``);
  await store?.destroy();
  await broker?.stop();
  await monolith?.stop();
});

describe('POST /products on the catalog', () => {
  it('creates the product as legacy does, with an id from the catalog range', async () => {
    const body = {
      sku: 'NEW-1',
      name: '  Trimmed name  ',
      description: 'A description',
      price: 12.3,
      category: 'garden',
      attributes: { colour: 'green', sizes: [1, 2] },
      stock: 7,
    };
    const { legacy, service } = await expectSameAnswer('POST', '/products', body);
    expect(legacy.status).toBe(201);
    expect(service.body).toMatchObject({ name: 'Trimmed name', price: '12.30', stock: 7 });
    expect(service.body.id).toBeGreaterThanOrEqual(catalogIdBase);
    expect(
      await store('catalog_products').where({ id: service.body.id }).first('sku', 'product_exists'),
    ).toEqual({
      sku: 'NEW-1',
      product_exists: 1,
    });
    // read back through the catalog's own GET, as legacy's
    const read = await call(catalog.base, 'GET', `/products/${service.body.id}`);
    expect(read.body).toEqual(service.body);
  });

  it('a minimal body: no description, attributes or stock', async () => {
    const { service } = await expectSameAnswer('POST', '/products', {
      sku: 'MIN-1',
      name: 'Minimal',
      price: '1',
      category: 'misc',
    });
    expect(service.body).toMatchObject({ description: null, attributes: null, stock: 0, price: '1.00' });
  });

  it.each([
    ['a missing body', undefined, {}],
    ['a body that is not an object', [1, 2], {}],
    ['malformed JSON', '{"sku": ', {}],
    ['every field wrong', { sku: '', name: 'x'.repeat(256), price: '1.234', category: 7, stock: -1 }, {}],
    ['an unknown key', { sku: 'U-1', name: 'n', price: '1.00', category: 'c', colour: 'red' }, {}],
    ['a zero price', { sku: 'U-2', name: 'n', price: '0.00', category: 'c' }, {}],
    ['a price over the column', { sku: 'U-3', name: 'n', price: '100000000.00', category: 'c' }, {}],
    [
      'attributes over 16 KiB',
      { sku: 'U-4', name: 'n', price: '1', category: 'c', attributes: { a: 'x'.repeat(17_000) } },
      {},
    ],
    ['stock not a whole number', { sku: 'U-5', name: 'n', price: '1', category: 'c', stock: 1.5 }, {}],
    [
      'a body over 100 KiB',
      { sku: 'U-6', name: 'n', price: '1', category: 'c', description: 'x'.repeat(110_000) },
      {},
    ],
    ['an unknown Content-Encoding', '{}', { 'content-encoding': 'br2' }],
    [
      'a sku legacy already has (case-insensitive)',
      { sku: 'base-1', name: 'n', price: '1', category: 'c' },
      {},
    ],
  ])('%s: the same error', async (_why, body, headers) => {
    const { service } = await expectSameAnswer('POST', '/products', body, headers);
    expect(errorOf(service).status).toBeGreaterThanOrEqual(400);
  });
});

describe('PATCH /products/:id on the catalog', () => {
  it('changes the fields as legacy does; updatedAt moves only on a real change', async () => {
    const id = (await monolith.knex('products').where({ sku: 'BASE-2' }).first('id')).id as number;
    const changes = { name: 'Renamed', price: '19.99', attributes: { size: 'L' }, description: null };
    const { legacy, service } = await expectSameAnswer('PATCH', `/products/${id}`, changes);
    expect(service.body).toMatchObject({ id, ...changes, stock: 5 });
    const before = (await call(catalog.base, 'GET', `/products/${id}`)).body;
    expect(before.updatedAt).not.toBe(legacy.body.createdAt);
    await new Promise((r) => setTimeout(r, 20));
    const again = await call(catalog.base, 'PATCH', `/products/${id}`, { name: 'Renamed' });
    expect(again.body.updatedAt).toBe(before.updatedAt);
  });

  it.each([
    ['an empty body', '/products/1', {}],
    ['stock (it has its own route)', '/products/1', { stock: 3 }],
    ['an invalid id', '/products/abc', { name: 'x' }],
    ['an unknown id', '/products/999999', { name: 'x' }],
    ['every field wrong', '/products/1', { sku: ' ', price: -1, category: '' }],
    ['a sku another product holds', '/products/1', { sku: 'BASE-3' }],
  ])('%s: the same error', async (_why, path, body) => {
    const { service } = await expectSameAnswer('PATCH', path, body);
    expect(errorOf(service).status).toBeGreaterThanOrEqual(400);
  });

  it('keeping its own sku is not a conflict', async () => {
    const { service } = await expectSameAnswer('PATCH', '/products/3', { sku: 'BASE-3', name: 'Same sku' });
    expect(service.status).toBe(200);
  });
});

describe('a dry run (the proxy mark)', () => {
  const dry = { [dryRunHeader]: '1' };

  it('answers a create as a real one would, and leaves the store untouched', async () => {
    const rows = await storeRows();
    const created = await call(
      catalog.base,
      'POST',
      '/products',
      { sku: 'DRY-1', name: 'Dry', price: '2.50', category: 'c', stock: 3 },
      dry,
    );
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sku: 'DRY-1',
      name: 'Dry',
      price: '2.50',
      stock: 3,
      description: null,
    });
    expect(created.body.id).toBeGreaterThanOrEqual(catalogIdBase);
    expect(await storeRows()).toBe(rows);
    expect(await store('catalog_products').where({ sku: 'DRY-1' }).first()).toBeUndefined();
    expect((await call(catalog.base, 'GET', `/products/${created.body.id}`)).status).toBe(404);
    // nothing held: the same sku is free for a real create right after
    const real = await call(catalog.base, 'POST', '/products', {
      sku: 'DRY-1',
      name: 'Dry',
      price: '2.50',
      category: 'c',
    });
    expect(real.status).toBe(201);
  });

  it('answers a change as a real one would, and leaves the row as it was', async () => {
    const row = await store('catalog_products').where({ id: 1 }).first();
    const changed = await call(catalog.base, 'PATCH', '/products/1', { name: 'Dry rename', price: '3' }, dry);
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ id: 1, name: 'Dry rename', price: '3.00' });
    expect(await store('catalog_products').where({ id: 1 }).first()).toEqual(row);
  });

  it('answers the errors a real write gets', async () => {
    const taken = await call(
      catalog.base,
      'POST',
      '/products',
      { sku: 'BASE-1', name: 'n', price: '1', category: 'c' },
      dry,
    );
    expect(errorOf(taken)).toMatchObject({ status: 409, code: 'SHOP_ERR_SKU_TAKEN' });
    const missing = await call(catalog.base, 'PATCH', '/products/999999', { name: 'x' }, dry);
    expect(errorOf(missing)).toMatchObject({ status: 404, code: 'SHOP_ERR_PRODUCT_NOT_FOUND' });
  });

  it('only the exact mark makes a dry run: any other value writes for real', async () => {
    const created = await call(
      catalog.base,
      'POST',
      '/products',
      { sku: 'WET-1', name: 'Wet', price: '1', category: 'c' },
      {
        [dryRunHeader]: 'yes',
      },
    );
    expect(created.status).toBe(201);
    expect(await store('catalog_products').where({ sku: 'WET-1' }).first('id')).toEqual({
      id: created.body.id,
    });
  });
});

describe("the catalog's SQL carries the route tag", () => {
  it('names the route on the statements a write sends (the binlog shows it)', async () => {
    const created = await call(
      catalog.base,
      'POST',
      '/products',
      { sku: 'TAG-1', name: 'Tagged', price: '1', category: 'c' },
      {
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    );
    expect(created.status).toBe(201);
    const [logs] = await store.raw('SHOW BINARY LOGS');
    const last = (logs as { Log_name: string }[]).at(-1)!.Log_name;
    const [events] = await store.raw('SHOW BINLOG EVENTS IN ?', [last]);
    const tags = (events as { Info: string }[])
      .map((e) => parseSqlTag(e.Info ?? ''))
      .filter(
        (t) => t?.route === 'POST /products' && t.traceparent?.includes('4bf92f3577b34da6a3ce929d0e0e4736'),
      );
    expect(tags.length).toBeGreaterThan(0);
  });
});
