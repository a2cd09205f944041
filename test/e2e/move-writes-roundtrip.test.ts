import fs from 'node:fs/promises';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ownershipClient, reverseSyncClient } from '../../cdc/reverse-sync/index.ts';
import { waitFor } from '../../lib/net.ts';
import { startWriteLoad, type WriteResult } from '../../scripts/bench/write-load.ts';
import { type E2eSystem, runCli, startE2eSystem } from './system-fixture.ts';

/**
 * The products route's writes moved to the catalog and back with `strangler move-writes`, as
 * npm start runs the toolkit (route table as shipped: `writes` and `owns` from
 * strangler.routes.json), under a steady stream of `POST /products` and `PATCH /products/:id`
 * through the proxy. Every acknowledged write is in legacy exactly once (the ones the catalog
 * served came back through reverse sync) and in the catalog's store once; none failed; after
 * the way back legacy's writes reach the store again (forward apply on).
 */
let e2e: E2eSystem;
let token: string;
let legacy: mysql.Connection;
let store: mysql.Connection;

async function admin<T>(p: string): Promise<T> {
  const res = await fetch(e2e.system.urls.admin + p, { headers: { authorization: `Bearer ${token}` } });
  const body = (await res.json()) as T;
  if (res.status !== 200) throw new Error(`${p}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

const skuCounts = async (db: mysql.Connection, table: string, like: string) =>
  new Map(
    (
      await db.query<mysql.RowDataPacket[]>(
        `SELECT sku, COUNT(*) AS n FROM ${table} WHERE sku LIKE ? GROUP BY sku`,
        [like],
      )
    )[0].map((r) => [String(r.sku), Number(r.n)]),
  );

beforeAll(async () => {
  e2e = await startE2eSystem();
  token = (await fs.readFile(path.join(e2e.dataDir, 'proxy-admin.token'), 'utf8')).trim();
  legacy = await mysql.createConnection({ uri: e2e.env.MYSQL_URL!, database: e2e.env.SHOP_DB });
  store = await mysql.createConnection({ uri: e2e.env.MYSQL_URL!, database: e2e.env.CATALOG_DB });
}, 240_000);
afterAll(async () => {
  await legacy?.end();
  await store?.end();
  await e2e?.stop();
});

describe('strangler move-writes products, and back, under writes', () => {
  it('loses, fails and duplicates no write; reverse sync then forward apply carry them', async () => {
    const since = new Date().toISOString();
    expect((await runCli(['shift', 'products', 'new'], e2e.env)).code).toBe(0);
    const [seeded] = await legacy.query<mysql.RowDataPacket[]>(
      'SELECT id FROM products ORDER BY id LIMIT 400',
    );
    const ids = seeded.map((r) => Number(r.id));
    const run = `rt${Date.now() % 1_000_000}`;
    // even writes create a product each, odd ones rename a seeded product each (its own id)
    const patchOf = (i: number) => ({ id: ids[((i - 1) / 2) % ids.length]!, name: `${run} renamed ${i}` });
    const load = startWriteLoad({
      url: e2e.system.urls.proxy,
      rate: 20,
      make: (i) =>
        i % 2 === 0
          ? {
              method: 'POST',
              path: '/products',
              key: `${run}-${i}`,
              body: { sku: `${run}-${i}`, name: `round trip ${i}`, price: '4.50', category: 'round-trip' },
            }
          : {
              method: 'PATCH',
              path: `/products/${patchOf(i).id}`,
              key: String(i),
              body: { name: patchOf(i).name },
            },
    });
    let results: WriteResult[] = [];
    let forward: Awaited<ReturnType<typeof runCli>>;
    let back: Awaited<ReturnType<typeof runCli>>;
    const ownership = ownershipClient(e2e.system.urls.catalog);
    const reverse = reverseSyncClient(e2e.system.urls.reverseSync);
    try {
      await new Promise((r) => setTimeout(r, 2000));
      forward = await runCli(['move-writes', 'products', '--since', since, '--bound', '10s'], e2e.env);
      expect(forward.code, forward.stdout + forward.stderr).toBe(0);
      expect(forward.stdout).toContain('products: writes legacy → new: switched');
      expect(await admin('/writes/products')).toMatchObject({ side: 'new', hold: null });
      expect((await ownership.get()).owned).toEqual(['products']);
      expect((await reverse.status()).tables.products).toMatchObject({ enabled: true });
      // writes on new for a while: the catalog serves them, reverse sync carries them to legacy
      const sentAtSwitch = load.sent();
      await new Promise((r) => setTimeout(r, 4000));
      expect(load.sent() - sentAtSwitch).toBeGreaterThan(40);
      await reverse.waitCaughtUp(['products'], { timeoutMs: 30_000 });
      back = await runCli(['move-writes', 'products', '--back', '--bound', '10s'], e2e.env);
      expect(back.code, back.stdout + back.stderr).toBe(0);
      expect(back.stdout).toContain('products: writes new → legacy: switched');
      await new Promise((r) => setTimeout(r, 2000));
    } finally {
      results = await load.stop();
    }
    expect(await admin('/writes/products')).toMatchObject({ side: 'legacy', hold: null });
    expect((await ownership.get()).owned).toEqual([]);
    expect((await reverse.status()).tables.products).toMatchObject({ enabled: false });

    // none failed; both sides served some
    expect(results.length).toBeGreaterThan(100);
    expect(results.filter((r) => r.status !== (r.key.startsWith(run) ? 201 : 200))).toEqual([]);
    const posts = results.filter((r) => r.key.startsWith(run));
    const patches = results.filter((r) => !r.key.startsWith(run));
    for (const side of ['legacy', 'new']) {
      expect(posts.filter((r) => r.target === side).length, `POSTs served by ${side}`).toBeGreaterThan(10);
      expect(patches.filter((r) => r.target === side).length, `PATCHes served by ${side}`).toBeGreaterThan(
        10,
      );
    }

    // legacy: every created product exactly once, every rename in place
    const inLegacy = await skuCounts(legacy, 'products', `${run}-%`);
    expect(posts.filter((r) => inLegacy.get(r.key) !== 1).map((r) => [r.key, r.target])).toEqual([]);
    expect(inLegacy.size).toBe(posts.length);
    // a product is created with its stock row, whichever side served it
    const [stockless] = await legacy.query<mysql.RowDataPacket[]>(
      'SELECT p.sku FROM products p LEFT JOIN inventory i ON i.product_id = p.id WHERE p.sku LIKE ? AND i.product_id IS NULL',
      [`${run}-%`],
    );
    expect(stockless.map((r) => [r.sku, posts.find((p) => p.key === r.sku)?.target])).toEqual([]);
    const names = new Map(
      (
        await legacy.query<mysql.RowDataPacket[]>('SELECT id, name FROM products WHERE name LIKE ?', [
          `${run} renamed %`,
        ])
      )[0].map((r) => [Number(r.id), String(r.name)]),
    );
    // the last rename of each product wins (each id is renamed once per lap over the ids)
    const lastRename = new Map<number, string>();
    for (const r of patches) lastRename.set(patchOf(Number(r.key)).id, patchOf(Number(r.key)).name);
    expect([...lastRename].filter(([id, name]) => names.get(id) !== name)).toEqual([]);

    // the catalog's store: every created product once (forward apply carries legacy's after the way back)
    let inStore = new Map<string, number>();
    await waitFor(
      "every created product in the catalog's store",
      async () => {
        inStore = await skuCounts(store, 'catalog_products', `${run}-%`);
        if (posts.some((r) => !inStore.has(r.key))) throw new Error('not yet');
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    ).catch(() => {});
    expect(posts.filter((r) => inStore.get(r.key) !== 1).map((r) => [r.key, r.target])).toEqual([]);

    // forward apply is back on: a legacy write after the way back reaches the store
    const after = await fetch(`${e2e.system.urls.proxy}/products`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        sku: `${run}-after`,
        name: 'after the way back',
        price: '1.00',
        category: 'round-trip',
      }),
    });
    expect(after.status).toBe(201);
    expect(after.headers.get('x-strangler-target')).toBe('legacy');
    await waitFor(
      'the write after the way back in the store',
      async () => {
        if ((await skuCounts(store, 'catalog_products', `${run}-after`)).get(`${run}-after`) !== 1)
          throw new Error('not yet');
      },
      { timeoutMs: 60_000, intervalMs: 500 },
    );
  }, 240_000);
});
