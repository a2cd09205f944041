import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSqlTag } from '../../contract/index.ts';
import { call, type MonolithUnderTest, startMonolithProcess } from './support.ts';

/**
 * The monolith process tags its statements (contract/sql-tag.ts), and the tag reaches the
 * binlog: MariaDB's annotate-rows event before each row event carries the statement as sent.
 */
describe('SQL tags in the binlog (monolith process, real MariaDB)', () => {
  let shop: MonolithUnderTest;
  const trace = '4bf92f3577b34da6a3ce929d0e0e4736';

  beforeAll(async () => {
    shop = await startMonolithProcess('tag');
  });
  afterAll(() => shop?.stop());

  /**
   * Statements of the annotate-rows events written since `from` on `table` of this test's
   * database (the table map after each annotate event names it: other suites share the server).
   */
  async function annotatedSince(from: { File: string; Position: number }, table: string, needle = '') {
    const [rows] = (await shop.knex.raw('SHOW BINLOG EVENTS IN ? FROM ?', [from.File, from.Position])) as [
      { Event_type: string; Info: string }[],
    ];
    const found: string[] = [];
    let statement: string | undefined;
    for (const r of rows) {
      if (r.Event_type === 'Annotate_rows') statement = r.Info;
      else if (r.Event_type === 'Table_map' && statement !== undefined) {
        if (r.Info.endsWith(`(${shop.db.name}.${table})`) && statement.includes(needle))
          found.push(statement);
        statement = undefined;
      }
    }
    return found;
  }
  const position = async () =>
    ((await shop.knex.raw('SHOW MASTER STATUS')) as [{ File: string; Position: number }[]])[0][0]!;

  it('each write names its route and the caller trace, one span per request', async () => {
    const from = await position();
    const sku = `TAG-${Date.now()}`;
    const created = await call(
      shop.base,
      'POST',
      '/products',
      { sku, name: 'Tagged', price: '2.50', category: 'tags', stock: 5 },
      { traceparent: `00-${trace}-00f067aa0ba902b7-01` },
    );
    expect(created.status).toBe(201);
    const id = created.body.id as number;
    expect((await call(shop.base, 'PATCH', `/products/${id}`, { name: 'Tagged v2' })).status).toBe(200);
    const user = await call(shop.base, 'POST', '/users', { email: `${sku}@example.com`, name: 'Tag' });
    const order = await call(shop.base, 'POST', '/orders', {
      userId: user.body.id,
      items: [{ productId: id, quantity: 2 }],
    });
    expect(order.status).toBe(201);

    const inserts = await annotatedSince(from, 'products', sku);
    expect(inserts.length).toBe(1);
    expect(parseSqlTag(inserts[0]!)).toEqual({ route: 'POST /products', traceparent: expect.any(String) });
    const tp = parseSqlTag(inserts[0]!)!.traceparent!;
    expect(tp).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-01$`));
    expect(tp).not.toContain('00f067aa0ba902b7');

    const stockRow = await annotatedSince(from, 'inventory', 'insert into');
    expect(stockRow.map((s) => parseSqlTag(s)?.route)).toEqual(['POST /products']);
    const renamed = await annotatedSince(from, 'products', 'Tagged v2');
    expect(renamed.map((s) => parseSqlTag(s)?.route)).toEqual(['PATCH /products/:id']);
    const stockTaken = await annotatedSince(from, 'inventory', 'update `inventory`');
    expect(stockTaken.map((s) => parseSqlTag(s)?.route)).toEqual(['POST /orders']);
    // A request without a traceparent starts its own trace.
    const orderTrace = parseSqlTag(stockTaken[0]!)!.traceparent!;
    expect(orderTrace.slice(3, 35)).not.toBe(trace);
  });

  it('a statement sent outside the API carries no tag', async () => {
    const from = await position();
    await shop.knex('inventory').update({ stock: 7 }).where({ product_id: 1 });
    const direct = await annotatedSince(from, 'inventory', 'update `inventory`');
    expect(direct.length).toBe(1);
    expect(parseSqlTag(direct[0]!)).toBeUndefined();
  });
});
