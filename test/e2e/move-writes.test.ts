import fs from 'node:fs/promises';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/net.ts';
import { startWriteLoad } from '../../scripts/bench/write-load.ts';
import { moveWrites } from '../../scripts/cli/write-switch/move-writes.ts';
import { type E2eSystem, runCli, startE2eSystem } from './system-fixture.ts';

/**
 * `strangler move-writes` against the whole toolkit as npm start runs it: the monolith, the
 * connector, the broker, the catalog, the writer map and the proxy, each its own process.
 * A route whose reads are not on new is refused; a route that would take stock (inventory)
 * while order placement writes it too is refused naming that writer; and a switch whose
 * service cannot catch up (the catalog process stopped) aborts at its bound with every held
 * write served by legacy, each acknowledged write in the legacy database exactly once.
 */
let e2e: E2eSystem;
let token: string;
/** The writer map's window starts after the seed: the seed's own writes are not the question. */
let since: string;

async function admin<T>(p: string, init: { method?: string; body?: unknown } = {}): Promise<T> {
  const res = await fetch(e2e.system.urls.admin + p, {
    method: init.method ?? 'GET',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  const body = (await res.json()) as T;
  if (res.status !== 200) throw new Error(`${p}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

beforeAll(async () => {
  e2e = await startE2eSystem();
  token = (await fs.readFile(path.join(e2e.dataDir, 'proxy-admin.token'), 'utf8')).trim();
  since = new Date().toISOString();
  const { table } = await admin<{ table: { routes: { id: string }[] } }>('/routes');
  const { id: _, ...products } = table.routes.find((r) => r.id === 'products')!;
  await admin('/routes/products', {
    method: 'PUT',
    body: {
      ...products,
      writes: { methods: ['POST', 'PATCH'], paths: ['/products', '/products/:id'] },
      owns: ['products'],
    },
  });
  await admin('/routes/stock', {
    method: 'PUT',
    body: {
      methods: ['GET'],
      paths: ['/stock/:id'],
      new: e2e.system.urls.catalog,
      writes: { methods: ['PUT'], paths: ['/products/:id/stock'] },
      owns: ['inventory'],
    },
  });
}, 240_000);
afterAll(async () => {
  await e2e?.stop();
});

describe('strangler move-writes', () => {
  it('refuses a route whose reads are not at 100 % new, holding nothing', async () => {
    const run = await runCli(['move-writes', 'products'], e2e.env);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stderr).toContain('SWITCH_ERR_READS_NOT_ON_NEW');
    expect(run.stderr).toContain('strangler shift products new');
    expect(await admin('/writes/products')).toMatchObject({ side: 'legacy', hold: null });
  });

  it('refuses to move stock alone while order placement writes it, naming that writer', async () => {
    const order = await fetch(`${e2e.system.urls.proxy}/orders`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ userId: 1, items: [{ productId: 1, quantity: 1 }] }),
    });
    expect(order.status, await order.text()).toBe(201);
    // the writer map has counted the order's stock change
    await waitFor(
      'the writer map to see POST /orders writing inventory',
      async () => {
        const res = await fetch(`${e2e.system.urls.writers}/writers?tables=inventory&since=${since}`);
        const body = (await res.json()) as { tables: Record<string, { writer: string }[]> };
        if (!body.tables.inventory?.some((w) => w.writer === 'POST /orders')) throw new Error('not yet');
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
    expect((await runCli(['shift', 'stock', 'new'], e2e.env)).code).toBe(0);
    const run = await runCli(['move-writes', 'stock', '--since', since], e2e.env);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stderr).toContain('SWITCH_ERR_OTHER_WRITERS');
    expect(run.stderr).toMatch(/inventory: POST \/orders \(\d+ changes?, last /);
    expect(await admin('/writes/stock')).toMatchObject({ side: 'legacy', hold: null });
  }, 120_000);

  it('aborts at its bound when the service cannot catch up: held writes go to legacy, none lost', async () => {
    expect((await runCli(['shift', 'products', 'new'], e2e.env)).code).toBe(0);
    const catalog = e2e.system.started.find((p) => p.name === 'catalog')!;
    const run = `sw${Date.now() % 1_000_000}`;
    const load = startWriteLoad({
      url: e2e.system.urls.proxy,
      rate: 20,
      make: (i) => ({
        method: 'POST',
        path: '/products',
        key: `${run}-${i}`,
        body: { sku: `${run}-${i}`, name: `switch test ${i}`, price: '9.99', category: 'switch-test' },
      }),
    });
    let attempt: Awaited<ReturnType<typeof moveWrites>>;
    catalog.child.kill('SIGSTOP');
    try {
      await new Promise((r) => setTimeout(r, 500));
      attempt = await moveWrites({
        route: 'products',
        back: false,
        boundMs: 3000,
        since,
        parts: {
          admin: e2e.system.urls.admin,
          token,
          legacyMysqlUrl: e2e.env.MYSQL_URL!,
          connector: e2e.system.urls.connector,
          writers: e2e.system.urls.writers,
          // never reached: the attempt ends before ownership and reverse sync are asked
          reverse: 'http://127.0.0.1:9',
        },
      });
      await new Promise((r) => setTimeout(r, 500));
    } finally {
      catalog.child.kill('SIGCONT');
    }
    const results = await load.stop();
    expect(attempt).toMatchObject({ outcome: 'aborted', from: 'legacy', to: 'new' });
    expect(attempt.reason).toContain('to apply up to');
    expect(attempt.holdMs).toBeGreaterThanOrEqual(2900);
    expect(attempt.writesHeld).toBeGreaterThan(10);
    expect(await admin('/writes/products')).toMatchObject({ side: 'legacy', hold: null });
    // every write answered, by legacy, and in legacy's database exactly once
    expect(results.length).toBeGreaterThan(40);
    expect(results.filter((r) => r.status !== 201 || r.target !== 'legacy')).toEqual([]);
    const db = await mysql.createConnection({ uri: e2e.env.MYSQL_URL!, database: e2e.env.SHOP_DB });
    try {
      const [rows] = await db.query<mysql.RowDataPacket[]>(
        'SELECT sku, COUNT(*) AS n FROM products WHERE sku LIKE ? GROUP BY sku',
        [`${run}-%`],
      );
      expect(rows.length).toBe(results.length);
      expect(rows.filter((r) => Number(r.n) !== 1)).toEqual([]);
    } finally {
      await db.end();
    }
    const { recent } = await admin<{ recent: { attempt?: { outcome: string }; writesHeld: number }[] }>(
      '/writes',
    );
    expect(recent.at(-1)).toMatchObject({ attempt: { outcome: 'aborted' }, writesHeld: attempt.writesHeld });
  }, 120_000);
});
