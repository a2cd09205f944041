import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComponentProcess, repoRoot, startComponent } from '../../lib/component-process.ts';
import { freePort, waitUntil } from '../../lib/net.ts';
import { call, type MonolithUnderTest, startMonolithProcess } from '../monolith/support.ts';

/**
 * The writer map with every part real and separate: the monolith process tags its statements,
 * MariaDB annotates its row events with them, the connector process (include.query) puts them
 * in source.query, the broker process carries the events, and the writer-map process counts
 * them per table and writer. A direct SQL write is an untagged writer; order placement writes
 * stock, so the orders route shows up as a writer of inventory, and "who else wrote" names it.
 */
const run = promisify(execFile);

interface WriterRow {
  writer: string;
  kind: string;
  changes: number;
  firstAt: string;
  lastAt: string;
  lastTraceparent: string | null;
  lastStatement: string | null;
}
interface MapAnswer {
  tables: Record<string, WriterRow[]>;
  newestChange: string | null;
}

let shop: MonolithUnderTest;
let broker: ComponentProcess;
let connector: ComponentProcess;
let writers: ComponentProcess | undefined;
let writersBase: string;
let writersEnv: Record<string, string>;
let dataDir: string;
const writersDb = `wm_${process.pid}_${Date.now() % 100_000}`;
/** A second connector without include.query, and a writer map behind it. */
let plainConnector: ComponentProcess;
let plainWriters: ComponentProcess;
let plainBase: string;
const plainDb = `${writersDb}_plain`;

async function startWriters(): Promise<ComponentProcess> {
  return startComponent({
    name: 'writer-map',
    script: 'cdc/writer-map/main.ts',
    env: writersEnv,
    readyUrl: `${writersBase}/health`,
    readyTimeoutMs: 60_000,
  });
}

async function get<T>(pathAndQuery: string): Promise<{ status: number; body: T }> {
  const res = await fetch(`${writersBase}${pathAndQuery}`);
  return { status: res.status, body: (await res.json()) as T };
}
const writersOf = async (table: string, since = '1h') =>
  (await get<MapAnswer>(`/writers?since=${since}`)).body.tables[table] ?? [];
const writer = (rows: WriterRow[], name: string) => rows.find((r) => r.writer === name);

beforeAll(async () => {
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'writer-map-'));
  shop = await startMonolithProcess('wmap');
  const brokerPort = await freePort();
  broker = await startComponent({
    name: 'broker',
    script: 'cdc/broker/main.ts',
    readyLine: '"msg":"broker listening"',
    env: {
      BROKER_PORT: String(brokerPort),
      BROKER_DATA_DIR: path.join(dataDir, 'broker'),
      LOG_LEVEL: 'warn',
    },
    readyTimeoutMs: 60_000,
  });
  const brokers = `127.0.0.1:${brokerPort}`;
  const connectorPort = await freePort();
  connector = await startComponent({
    name: 'connector',
    script: 'cdc/connector/main.ts',
    env: {
      MYSQL_URL: shop.db.serverUrl,
      SHOP_DB: shop.db.name,
      KAFKA_BROKERS: brokers,
      CONNECTOR_PORT: String(connectorPort),
      CONNECTOR_SERVER_ID: String(200_000 + Math.floor(Math.random() * 1_000_000_000)),
      CONNECTOR_OFFSETS_DIR: path.join(dataDir, 'offsets'),
      CDC_TOPIC_PREFIX: 'legacy',
      CDC_DATABASE_INCLUDE_LIST: shop.db.name,
      CDC_INCLUDE_QUERY: 'true',
      LOG_LEVEL: 'warn',
    },
    readyUrl: `http://127.0.0.1:${connectorPort}/health`,
    readyTimeoutMs: 60_000,
  });
  const plainConnectorPort = await freePort();
  plainConnector = await startComponent({
    name: 'connector:plain',
    script: 'cdc/connector/main.ts',
    env: {
      MYSQL_URL: shop.db.serverUrl,
      SHOP_DB: shop.db.name,
      KAFKA_BROKERS: brokers,
      CONNECTOR_PORT: String(plainConnectorPort),
      CONNECTOR_SERVER_ID: String(200_000 + Math.floor(Math.random() * 1_000_000_000)),
      CONNECTOR_OFFSETS_DIR: path.join(dataDir, 'offsets-plain'),
      CDC_TOPIC_PREFIX: 'plain',
      CDC_DATABASE_INCLUDE_LIST: shop.db.name,
      LOG_LEVEL: 'warn',
    },
    readyUrl: `http://127.0.0.1:${plainConnectorPort}/health`,
    readyTimeoutMs: 60_000,
  });
  const plainPort = await freePort();
  plainBase = `http://127.0.0.1:${plainPort}`;
  plainWriters = await startComponent({
    name: 'writer-map:plain',
    script: 'cdc/writer-map/main.ts',
    env: {
      MYSQL_URL: shop.db.serverUrl,
      SHOP_DB: shop.db.name,
      KAFKA_BROKERS: brokers,
      CDC_TOPIC_PREFIX: 'plain',
      WRITERS_PORT: String(plainPort),
      WRITERS_DB: plainDb,
      WRITERS_TABLES: 'products,inventory',
      LOG_LEVEL: 'warn',
    },
    readyUrl: `${plainBase}/health`,
    readyTimeoutMs: 60_000,
  });
  const port = await freePort();
  writersBase = `http://127.0.0.1:${port}`;
  writersEnv = {
    MYSQL_URL: shop.db.serverUrl,
    SHOP_DB: shop.db.name,
    KAFKA_BROKERS: brokers,
    CDC_TOPIC_PREFIX: 'legacy',
    WRITERS_PORT: String(port),
    WRITERS_DB: writersDb,
    LOG_LEVEL: 'warn',
  };
  writers = await startWriters();
}, 240_000);

afterAll(async () => {
  await writers?.stop('SIGTERM');
  await plainWriters?.stop('SIGTERM');
  await plainConnector?.stop('SIGTERM');
  await connector?.stop('SIGTERM');
  await broker?.stop('SIGTERM');
  await shop?.knex.raw(`DROP DATABASE IF EXISTS \`${writersDb}\``);
  await shop?.knex.raw(`DROP DATABASE IF EXISTS \`${plainDb}\``);
  await shop?.stop();
  if (dataDir) await fs.rm(dataDir, { recursive: true, force: true });
}, 60_000);

describe('writer map (monolith, MariaDB, connector, broker, writer map: each its own process)', () => {
  let productId: number;
  let userId: number;

  it('a POST /products through the monolith shows under its route, with count and time', async () => {
    const before = Date.now() - 1000;
    const trace = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
    const created = await call(
      shop.base,
      'POST',
      '/products',
      { sku: `WM-${Date.now()}`, name: 'Mapped', price: '3.00', category: 'wm', stock: 40 },
      { traceparent: `00-${trace}-1111111111111111-01` },
    );
    expect(created.status).toBe(201);
    productId = created.body.id;
    await waitUntil(
      'the product insert in the writer map',
      async () => !!writer(await writersOf('products'), 'POST /products'),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    const products = await writersOf('products');
    expect(products).toEqual([
      expect.objectContaining({ writer: 'POST /products', kind: 'route', changes: 1 }),
    ]);
    const row = writer(products, 'POST /products')!;
    // The binlog's time (second resolution): within the test's own bounds.
    expect(Date.parse(row.lastAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000);
    expect(Date.parse(row.lastAt)).toBeLessThanOrEqual(Date.now());
    expect(row.lastTraceparent).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-01$`));
    // The stock row is written by the same request.
    expect(writer(await writersOf('inventory'), 'POST /products')).toMatchObject({ changes: 1 });

    const second = await call(shop.base, 'POST', '/products', {
      sku: `WM2-${Date.now()}`,
      name: 'Mapped 2',
      price: '4.00',
      category: 'wm',
    });
    expect(second.status).toBe(201);
    expect((await call(shop.base, 'PATCH', `/products/${productId}`, { price: '3.50' })).status).toBe(200);
    await waitUntil(
      'the second insert and the change',
      async () => {
        const rows = await writersOf('products');
        return (
          writer(rows, 'POST /products')?.changes === 2 && writer(rows, 'PATCH /products/:id')?.changes === 1
        );
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
  }, 120_000);

  it('a direct SQL write shows as an untagged writer, with its statement', async () => {
    await shop.knex('inventory').where({ product_id: productId }).update({ stock: 39 });
    await waitUntil(
      'the untagged stock write',
      async () => !!writer(await writersOf('inventory'), 'untagged'),
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    const untagged = writer(await writersOf('inventory'), 'untagged')!;
    expect(untagged).toMatchObject({ kind: 'untagged', changes: 1, lastTraceparent: null });
    expect(untagged.lastStatement).toMatch(/^update `inventory` set `stock` = 39 where `product_id` = \d+$/);
  }, 120_000);

  it('order placement writes stock: the orders route is a writer of inventory, and "others" names it', async () => {
    const user = await call(shop.base, 'POST', '/users', {
      email: `wm${Date.now()}@example.com`,
      name: 'WM',
    });
    userId = user.body.id;
    const orderIds: number[] = [];
    for (let i = 0; i < 3; i++) {
      const order = await call(shop.base, 'POST', '/orders', {
        userId,
        items: [{ productId, quantity: 1 }],
      });
      expect(order.status).toBe(201);
      orderIds.push(order.body.id);
    }
    // Cancellation puts the stock back: one more writer of inventory.
    expect((await call(shop.base, 'POST', `/orders/${orderIds[0]}/cancel`)).status).toBe(200);
    await waitUntil(
      'three stock decrements by POST /orders and one put back by a cancellation',
      async () => {
        // each table is its own topic, consumed at its own pace
        const done = await Promise.all(
          ['inventory', 'orders', 'order_items'].map(
            async (t) => writer(await writersOf(t), 'POST /orders')?.changes === 3,
          ),
        );
        const cancelled = writer(await writersOf('inventory'), 'POST /orders/:id/cancel')?.changes === 1;
        return done.every(Boolean) && cancelled;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const inventory = await writersOf('inventory');
    expect(inventory.map((r) => r.writer).sort()).toEqual([
      'POST /orders',
      'POST /orders/:id/cancel',
      'POST /products',
      'untagged',
    ]);
    expect(writer(await writersOf('orders'), 'POST /orders')).toMatchObject({ changes: 3 });
    expect(writer(await writersOf('order_items'), 'POST /orders')).toMatchObject({ changes: 3 });

    // The catalog's write routes want products and inventory: who else wrote them?
    const exclude = ['POST /products', 'PATCH /products/:id']
      .map((w) => `exclude=${encodeURIComponent(w)}`)
      .join('&');
    const others = await get<{
      others: (WriterRow & { table: string })[];
      caughtUp: boolean;
      eventsBehind: number;
    }>(`/writers/others?tables=products,inventory&${exclude}&since=1h`);
    expect(others.status).toBe(200);
    expect(others.body).toMatchObject({ caughtUp: true, eventsBehind: 0 });
    expect(others.body.others.map((o) => `${o.table}: ${o.writer}`).sort()).toEqual([
      'inventory: POST /orders',
      'inventory: POST /orders/:id/cancel',
      'inventory: untagged',
    ]);
    // products alone has no other writer.
    const productsOnly = await get<{ others: unknown[] }>(`/writers/others?tables=products&${exclude}`);
    expect(productsOnly.body.others).toEqual([]);
    // A window that ended before the writes saw none of them.
    const old = await get<{ others: unknown[] }>(
      `/writers/others?tables=inventory&since=${new Date(Date.now() - 7_200_000).toISOString()}&until=${new Date(Date.now() - 3_600_000).toISOString()}`,
    );
    expect(old.body.others).toEqual([]);
  }, 120_000);

  it('a restart of the writer map counts nothing twice', async () => {
    const before = await writersOf('inventory');
    await writers!.stop('SIGTERM');
    writers = await startWriters();
    await shop.knex('inventory').where({ product_id: productId }).update({ stock: 30 });
    await waitUntil(
      'the second untagged write',
      async () => writer(await writersOf('inventory'), 'untagged')?.changes === 2,
      {
        timeoutMs: 60_000,
        intervalMs: 250,
      },
    );
    const after = await writersOf('inventory');
    expect(writer(after, 'POST /orders')!.changes).toBe(writer(before, 'POST /orders')!.changes);
    expect(writer(after, 'POST /products')!.changes).toBe(writer(before, 'POST /products')!.changes);
  }, 120_000);

  it('refuses a bad question with a code naming the problem', async () => {
    const noTables = await get<{ error: { code: string; message: string } }>(
      '/writers/others?exclude=POST%20/x',
    );
    expect(noTables).toMatchObject({ status: 400, body: { error: { code: 'WRITERS_ERR_BAD_TABLES' } } });
    const badWindow = await get<{ error: { code: string; message: string } }>('/writers?since=yesterday');
    expect(badWindow.status).toBe(400);
    expect(badWindow.body.error).toMatchObject({ code: 'WRITERS_ERR_BAD_WINDOW' });
    expect(badWindow.body.error.message).toContain('"yesterday"');
    const badExclude = await get<{ error: { code: string } }>(
      '/writers/others?tables=products&exclude=orders',
    );
    expect(badExclude.body.error.code).toBe('WRITERS_ERR_BAD_EXCLUDE');
  });

  it('strangler writers prints the map', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', 'scripts/strangler.ts', 'writers', '--url', writersBase, '--since', '1h'],
      { cwd: repoRoot, env: { ...process.env, TSX_DISABLE_CACHE: '1' }, timeout: 60_000 },
    );
    const inventory = stdout.slice(stdout.indexOf('\ninventory\n'));
    expect(inventory).toMatch(/^ {2}POST \/orders +3 changes {2}last \S+ {2}trace 00-/m);
    expect(inventory).toMatch(
      /^ {2}untagged +2 changes .*\(untagged: no route tag\) {2}last: update `inventory` set `stock` = 30/m,
    );
    expect(stdout).toMatch(/\nproducts\n {2}POST \/products +2 changes/);
    expect(stdout).toMatch(/^ {2}PATCH \/products\/:id +1 change +last/m);
  }, 90_000);

  it('behind a connector without include.query every change is an unknown writer, never "nobody else"', async () => {
    await waitUntil(
      'the plain writer map to count the products writes',
      async () => {
        const res = await fetch(`${plainBase}/writers?tables=products`);
        const body = (await res.json()) as MapAnswer;
        return body.tables.products?.[0]?.changes === 3;
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    const res = await fetch(
      `${plainBase}/writers/others?tables=products&exclude=POST%20/products&exclude=PATCH%20/products/:id`,
    );
    const body = (await res.json()) as { others: WriterRow[]; caughtUp: boolean };
    // Two inserts and a change by the catalog's own routes, but nobody can tell: all unknown.
    expect(body.others).toEqual([
      expect.objectContaining({ writer: 'unknown', kind: 'unknown', changes: 3 }),
    ]);
  }, 90_000);

  it('with Kafka gone, an answer without other writers says it is no evidence', async () => {
    await broker.stop('SIGTERM');
    const since = Date.now();
    const res = await get<{ others: unknown[]; caughtUp: boolean; eventsBehind: number | null }>(
      '/writers/others?tables=products&exclude=POST%20/products&exclude=PATCH%20/products/:id',
    );
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ others: [], caughtUp: false, eventsBehind: null });
    expect(Date.now() - since).toBeLessThan(10_000);
  }, 60_000);
});
