import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedShop } from '../../legacy-monolith/seed/seed-shop.ts';
import { call, errorOf, isoMillis, type MonolithUnderTest, startMonolithProcess } from './support.ts';

type Row = { id: number; price: string; createdAt: string };

describe('products API (monolith process)', () => {
  let shop: MonolithUnderTest;
  const get = (path: string) => call(shop.base, 'GET', path);

  beforeAll(async () => {
    shop = await startMonolithProcess('prod');
    await seedShop(shop.knex, { products: 250, users: 10, orders: 50, seed: 3 });
  });
  afterAll(() => shop?.stop());

  it('GET /health answers ok', async () => {
    expect((await get('/health')).body).toEqual({ status: 'ok' });
  });

  it('lists the first page by id with the contract shape', async () => {
    const reply = await get('/products');
    expect(reply.status).toBe(200);
    expect(reply.contentType).toMatch(/application\/json/);
    expect(reply.body).toMatchObject({ page: 1, pageSize: 20, total: 250 });
    expect(reply.body.items.map((p: { id: number }) => p.id)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    const product = reply.body.items[0];
    expect(Object.keys(product).sort()).toEqual(
      [
        'attributes',
        'category',
        'createdAt',
        'description',
        'id',
        'name',
        'price',
        'sku',
        'stock',
        'updatedAt',
      ].sort(),
    );
    expect(product.price).toMatch(/^\d+\.\d{2}$/);
    expect(product.createdAt).toMatch(isoMillis);
    expect(product.updatedAt).toMatch(isoMillis);
    expect(typeof product.stock).toBe('number');
    expect(typeof product.attributes).toBe('object');
  });

  it('pages without overlap and reports the total', async () => {
    const p2 = await get('/products?page=2&pageSize=100');
    const p3 = await get('/products?page=3&pageSize=100');
    expect(p2.body.items[0].id).toBe(101);
    expect(p3.body.items).toHaveLength(50);
    expect((await get('/products?page=9&pageSize=100')).body).toMatchObject({ items: [], total: 250 });
  });

  it.each([
    ['price', (a: Row, b: Row) => Number(a.price) - Number(b.price) || a.id - b.id],
    ['-price', (a: Row, b: Row) => Number(b.price) - Number(a.price) || a.id - b.id],
    ['createdAt', (a: Row, b: Row) => a.createdAt.localeCompare(b.createdAt) || a.id - b.id],
    ['-id', (a: Row, b: Row) => b.id - a.id],
  ])('sorts by %s, then id', async (sort, compare) => {
    const all = (await get(`/products?sort=${sort}&pageSize=100`)).body.items;
    expect(all).toHaveLength(100);
    expect(all).toEqual([...all].sort(compare));
  });

  it('sorts by name in the column collation with id as tiebreak', async () => {
    const [rows] = await shop.knex.raw('SELECT id FROM products ORDER BY name DESC, id ASC LIMIT 30');
    const reply = await get('/products?sort=-name&pageSize=30');
    expect(reply.body.items.map((p: { id: number }) => p.id)).toEqual(rows.map((r: { id: number }) => r.id));
  });

  it('filters by category, price range and name substring, all together', async () => {
    const reply = await get('/products?category=books&minPrice=10.00&maxPrice=40&pageSize=100');
    expect(reply.body.total).toBeGreaterThan(0);
    for (const p of reply.body.items) {
      expect(p.category).toBe('books');
      expect(Number(p.price)).toBeGreaterThanOrEqual(10);
      expect(Number(p.price)).toBeLessThanOrEqual(40);
    }
    const [[count]] = await shop.knex.raw(
      "SELECT COUNT(*) AS n FROM products WHERE category = 'books' AND price BETWEEN 10 AND 40",
    );
    expect(reply.body.total).toBe(Number(count.n));

    const search = await get(`/products?q=${encodeURIComponent('mug')}&pageSize=100`);
    expect(search.body.total).toBeGreaterThan(0);
    for (const p of search.body.items) expect(p.name.toLowerCase()).toContain('mug');
  });

  it('gets one product with its stock', async () => {
    const reply = await get('/products/7');
    const stock = await shop.knex('inventory').where({ product_id: 7 }).first('stock');
    expect(reply.body).toMatchObject({ id: 7, stock: stock.stock });
  });

  it('creates a product with stock, then patches it and sets its stock', async () => {
    const created = await call(shop.base, 'POST', '/products', {
      sku: 'NEW-1',
      name: 'Brand New Lamp',
      price: '19.90',
      category: 'office',
      attributes: { color: 'white', watts: 9 },
      stock: 12,
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      sku: 'NEW-1',
      price: '19.90',
      stock: 12,
      description: null,
      attributes: { color: 'white', watts: 9 },
    });
    expect(created.body.createdAt).toBe(created.body.updatedAt);
    const id = created.body.id;

    const patched = await call(shop.base, 'PATCH', `/products/${id}`, {
      price: 21.5,
      description: 'Bright.',
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({
      id,
      price: '21.50',
      description: 'Bright.',
      name: 'Brand New Lamp',
      stock: 12,
    });
    expect(patched.body.updatedAt >= created.body.updatedAt).toBe(true);

    const restocked = await call(shop.base, 'PUT', `/products/${id}/stock`, { stock: 0 });
    expect(restocked.body).toMatchObject({ id, stock: 0 });
    expect((await get(`/products/${id}`)).body.stock).toBe(0);
    const row = await shop.knex('products').where({ id }).first('price');
    expect(row.price).toBe('21.50');
  });

  it('refuses a duplicate sku with 409, on create and on patch', async () => {
    await call(shop.base, 'POST', '/products', { sku: 'DUP-1', name: 'x', price: '1.00', category: 'c' });
    const dup = await call(shop.base, 'POST', '/products', {
      sku: 'DUP-1',
      name: 'y',
      price: '1.00',
      category: 'c',
    });
    expect(errorOf(dup)).toMatchObject({ status: 409, code: 'SHOP_ERR_SKU_TAKEN' });
    const patch = await call(shop.base, 'PATCH', '/products/1', { sku: 'DUP-1' });
    expect(errorOf(patch)).toMatchObject({ status: 409, code: 'SHOP_ERR_SKU_TAKEN' });
  });

  it.each([
    ['/products?page=0', 'page'],
    ['/products?page=abc', 'page'],
    ['/products?pageSize=101', 'pageSize'],
    ['/products?pageSize=-1', 'pageSize'],
    ['/products?sort=stock', 'sort'],
    ['/products?sort=id&sort=name', 'sort'],
    ['/products?minPrice=cheap', 'minPrice'],
    ['/products?minPrice=10&maxPrice=5', 'minPrice'],
    ['/products?color=red', 'color'],
  ])('GET %s → 400 naming %s', async (path, field) => {
    const error = errorOf(await get(path));
    expect(error).toMatchObject({ status: 400, code: 'SHOP_ERR_INVALID_QUERY' });
    expect(error.message).toContain(field);
  });

  it.each([
    ['/products/abc', 400, 'SHOP_ERR_INVALID_ID'],
    ['/products/0', 400, 'SHOP_ERR_INVALID_ID'],
    ['/products/1.5', 400, 'SHOP_ERR_INVALID_ID'],
    ['/products/-3', 400, 'SHOP_ERR_INVALID_ID'],
    ['/products/99999999999999999999', 400, 'SHOP_ERR_INVALID_ID'],
    ['/products/424242', 404, 'SHOP_ERR_PRODUCT_NOT_FOUND'],
    ['/products/%E0%A4%A', 400, 'SHOP_ERR_BAD_REQUEST'],
    ['/produkte', 404, 'SHOP_ERR_ROUTE_NOT_FOUND'],
  ])('GET %s → %i %s', async (path, status, code) => {
    expect(errorOf(await get(path))).toMatchObject({ status, code });
  });

  it.each([
    [{ sku: 'A', name: 'n', category: 'c' }, 'price'],
    [{ sku: 'A', name: 'n', category: 'c', price: '1.999' }, 'price'],
    [{ sku: 'A', name: 'n', category: 'c', price: '0.00' }, 'price'],
    [{ sku: 'A', name: 'n', category: 'c', price: '-5' }, 'price'],
    [{ sku: 'A', name: 'n', category: 'c', price: '100000000.00' }, 'price'],
    [{ sku: 'A', name: '  ', category: 'c', price: '1' }, 'name'],
    [{ sku: 'A'.repeat(65), name: 'n', category: 'c', price: '1' }, 'sku'],
    [{ sku: 'A', name: 'n', category: 'c', price: '1', stock: -1 }, 'stock'],
    [{ sku: 'A', name: 'n', category: 'c', price: '1', stock: 1.5 }, 'stock'],
    [{ sku: 'A', name: 'n', category: 'c', price: '1', attributes: [1, 2] }, 'attributes'],
    [{ sku: 'A', name: 'n', category: 'c', price: '1', id: 5 }, 'id'],
    [{ sku: 7, name: 'n', category: 'c', price: '1' }, 'sku'],
  ])('POST /products %j → 400 naming %s', async (body, field) => {
    const error = errorOf(await call(shop.base, 'POST', '/products', body));
    expect(error).toMatchObject({ status: 400, code: 'SHOP_ERR_INVALID_BODY' });
    expect(error.message).toContain(field);
  });

  it('rejects bad PATCH and stock bodies, and unknown products', async () => {
    expect(errorOf(await call(shop.base, 'PATCH', '/products/1', {}))).toMatchObject({ status: 400 });
    expect(errorOf(await call(shop.base, 'PATCH', '/products/1', { stock: 5 })).message).toContain('stock');
    expect(errorOf(await call(shop.base, 'PATCH', '/products/424242', { name: 'x' }))).toMatchObject({
      status: 404,
      code: 'SHOP_ERR_PRODUCT_NOT_FOUND',
    });
    expect(errorOf(await call(shop.base, 'PUT', '/products/1/stock', { stock: '5' })).message).toContain(
      'stock',
    );
    expect(errorOf(await call(shop.base, 'PUT', '/products/1/stock', {})).message).toContain('stock');
    expect(errorOf(await call(shop.base, 'PUT', '/products/424242/stock', { stock: 1 }))).toMatchObject({
      status: 404,
    });
  });

  it('answers malformed, non-JSON and oversized bodies with a 4xx JSON error', async () => {
    expect(errorOf(await call(shop.base, 'POST', '/products', '{"sku": "A",'))).toMatchObject({
      status: 400,
      code: 'SHOP_ERR_MALFORMED_JSON',
    });
    expect(errorOf(await call(shop.base, 'POST', '/products', '"just a string"'))).toMatchObject({
      status: 400,
    });
    expect(errorOf(await call(shop.base, 'POST', '/products', '[1,2]'))).toMatchObject({
      status: 400,
      code: 'SHOP_ERR_INVALID_BODY',
    });
    expect(
      errorOf(
        await call(shop.base, 'POST', '/products', 'sku=A', {
          'content-type': 'application/x-www-form-urlencoded',
        }),
      ),
    ).toMatchObject({ status: 400, code: 'SHOP_ERR_INVALID_BODY' });
    const big = JSON.stringify({ sku: 'B', name: 'x'.repeat(200_000), price: '1', category: 'c' });
    expect(errorOf(await call(shop.base, 'POST', '/products', big))).toMatchObject({
      status: 413,
      code: 'SHOP_ERR_BODY_TOO_LARGE',
    });
    expect(errorOf(await call(shop.base, 'DELETE', '/products/1'))).toMatchObject({ status: 404 });
    expect(shop.proc.output()).not.toContain('unexpected error');
  });
});
