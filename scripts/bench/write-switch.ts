import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { freePort } from '../../lib/net.ts';
import { percentile } from '../../lib/stats.ts';
import { type Attempt, moveWrites } from '../cli/write-switch/move-writes.ts';
import { defaultPorts, type PortName } from '../up/components.ts';
import { type RunningSystem, startSystem } from '../up/system.ts';
import { publishBenchmark } from './report.ts';
import { startWriteLoad, type WriteResult } from './write-load.ts';

/**
 * `npm run bench:write-switch`: the write switch under load. The whole toolkit as npm start
 * runs it, on its own ports and databases; the products route's writes (POST /products,
 * PATCH /products/:id) go through the proxy at BENCH_RATE (200) writes/s, each a new product
 * with its own sku, while `strangler move-writes products` and `--back` run BENCH_CYCLES (10)
 * times, BENCH_PAUSE_S (3) seconds apart. Then the writes stop, reverse sync and the catalog
 * catch up, and every product acknowledged (201) is looked up in legacy's database and in the
 * catalog's store by its sku.
 * Bar: the switch and the way back each hold writes p99 ≤ 2 s (the proxy's figure per attempt,
 * and the longest a write waited), every attempt `switched`, 0 failed, lost or duplicated writes.
 */
const env = process.env;
const RATE = Number(env.BENCH_RATE ?? 200);
const CYCLES = Number(env.BENCH_CYCLES ?? 10);
const PAUSE_S = Number(env.BENCH_PAUSE_S ?? 3);
const BOUND_MS = Number(env.BENCH_BOUND_MS ?? 5000);
const SEED_SCALE = Number(env.BENCH_SEED_SCALE ?? 0.05);
const HOLD_BAR_MS = 2000;
/** The catalog's read model of products (extracted/catalog/data-access/migrations.ts). */
const storeTable = 'catalog_products';

async function systemEnv(
  serverUrl: string,
): Promise<{ env: NodeJS.ProcessEnv; dataDir: string; dbs: string[] }> {
  const suffix = randomBytes(3).toString('hex');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'strangler-write-switch-'));
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(defaultPorts) as PortName[]) e[name] = String(await freePort());
  const dbs = [
    `ws_shop_${suffix}`,
    `ws_catalog_${suffix}`,
    `ws_orders_${suffix}`,
    `ws_writers_${suffix}`,
    `ws_reverse_${suffix}`,
  ];
  Object.assign(e, {
    MYSQL_URL: serverUrl,
    SHOP_DB: dbs[0],
    CATALOG_DB: dbs[1],
    ORDERS_DB: dbs[2],
    WRITERS_DB: dbs[3],
    REVERSE_STATE_DB: dbs[4],
    STRANGLER_DATA_DIR: dataDir,
    BROKER_DATA_DIR: path.join(dataDir, 'broker'),
    CONNECTOR_SERVER_ID: String(400_000 + Math.floor(Math.random() * 1_000_000_000)),
    PROXY_ADMIN_TOKEN: randomBytes(16).toString('hex'),
    LOG_LEVEL: 'warn',
  });
  delete e.KAFKA_BROKERS;
  delete e.PROXY_ROUTES_FILE;
  return { env: e, dataDir, dbs };
}

async function admin(system: RunningSystem, pathname: string, body?: unknown): Promise<unknown> {
  const res = await fetch(system.urls.admin + pathname, {
    method: body === undefined ? 'GET' : 'PUT',
    headers: { authorization: `Bearer ${system.env.PROXY_ADMIN_TOKEN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const out = await res.json();
  if (res.status !== 200) throw new Error(`${pathname}: ${res.status} ${JSON.stringify(out)}`);
  return out;
}

async function main(): Promise<void> {
  const server = await resolveServerUrl();
  const { env: sysEnv, dataDir, dbs } = await systemEnv(server.url);
  console.error(`starting the toolkit (seed scale ${SEED_SCALE})…`);
  const system = await startSystem({ env: sysEnv, seedScale: SEED_SCALE });
  const shop = createMysqlKnex(server.url, dbs[0]!, { min: 0, max: 2 });
  const store = createMysqlKnex(server.url, dbs[1]!, { min: 0, max: 2 });
  const since = new Date().toISOString();
  try {
    const { table } = (await admin(system, '/routes')) as { table: { routes: { id: string }[] } };
    const { id: _, ...products } = table.routes.find((r) => r.id === 'products')!;
    await admin(system, '/routes/products', {
      ...products,
      writes: { methods: ['POST', 'PATCH'], paths: ['/products', '/products/:id'] },
      owns: ['products'],
    });
    await fetch(`${system.urls.admin}/flags/products`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${system.env.PROXY_ADMIN_TOKEN}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ to: 'new' }),
    }).then((r) => r.text());
    const parts = {
      admin: system.urls.admin,
      token: system.env.PROXY_ADMIN_TOKEN!,
      legacyMysqlUrl: server.url,
      connector: system.urls.connector,
      writers: system.urls.writers,
      reverse: system.urls.reverseSync,
      service: system.urls.catalog,
    };
    const run = `wsb${randomBytes(3).toString('hex')}`;
    const load = startWriteLoad({
      url: system.urls.proxy,
      rate: RATE,
      make: (i) => ({
        method: 'POST',
        path: '/products',
        key: `${run}-${i}`,
        body: { sku: `${run}-${i}`, name: `write switch bench ${i}`, price: '1.00', category: 'bench' },
      }),
    });
    const attempts: Attempt[] = [];
    const pause = () => new Promise((r) => setTimeout(r, PAUSE_S * 1000));
    await pause();
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      for (const back of [false, true]) {
        // a refusal is an attempt that did not switch: counted, and the run goes on
        const a = await moveWrites({ route: 'products', back, boundMs: BOUND_MS, since, parts }).catch(
          (err: Error): Attempt => ({
            route: 'products',
            direction: back ? 'back' : 'forward',
            from: back ? 'new' : 'legacy',
            to: back ? 'legacy' : 'new',
            outcome: 'refused',
            reason: err.message,
            tables: ['products'],
            boundMs: BOUND_MS,
            startedAt: new Date().toISOString(),
          }),
        );
        attempts.push(a);
        console.error(
          `cycle ${cycle + 1} ${back ? 'back' : 'forward'}: ${a.outcome}${a.reason ? ` (${a.reason})` : ''}; held ${a.holdMs} ms, ${a.writesHeld} writes (longest ${a.maxWaitMs} ms), in flight done ${a.drainMs} ms, catch-up ${a.catchUpMs} ms, commit ${a.commitMs} ms`,
        );
        await pause();
      }
    }
    const results = await load.stop();
    // writes are on legacy again: wait until the catalog's store has every acknowledged product too
    const acked = results.filter((r) => r.status === 201);
    const failed = results.filter((r) => r.status !== 201);
    const count = async (knex: typeof shop, table: string) =>
      new Map(
        (
          (await knex(table)
            .select('sku')
            .count({ n: '*' })
            .where('sku', 'like', `${run}-%`)
            .groupBy('sku')) as { sku: string; n: number }[]
        ).map((r) => [r.sku, Number(r.n)]),
      );
    const deadline = Date.now() + 60_000;
    let inStore = await count(store, storeTable);
    while (acked.some((r) => !inStore.has(r.key)) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 1000));
      inStore = await count(store, storeTable);
    }
    const inLegacy = await count(shop, 'products');
    const lost = (m: Map<string, number>) => acked.filter((r) => !m.has(r.key)).length;
    const duplicated = (m: Map<string, number>) => [...m.values()].filter((n) => n > 1).length;
    const summarise = (direction: 'forward' | 'back') => {
      const list = attempts.filter((a) => a.direction === direction);
      const holds = list.map((a) => a.holdMs ?? Number.NaN).sort((x, y) => x - y);
      const waits = list.map((a) => a.maxWaitMs ?? Number.NaN).sort((x, y) => x - y);
      return {
        attempts: list.length,
        switched: list.filter((a) => a.outcome === 'switched').length,
        hold_p50_ms: percentile(holds, 50),
        hold_p99_ms: percentile(holds, 99),
        longest_wait_p99_ms: percentile(waits, 99),
        writes_held: list.reduce((n, a) => n + (a.writesHeld ?? 0), 0),
        catch_up_p99_ms: percentile(
          list.map((a) => a.catchUpMs ?? Number.NaN).sort((x, y) => x - y),
          99,
        ),
      };
    };
    const forward = summarise('forward');
    const back = summarise('back');
    const latencies = results
      .map((r: WriteResult) => r.latencyMs)
      .filter((l) => !Number.isNaN(l))
      .sort((x, y) => x - y);
    const summary = {
      rate: RATE,
      cycles: CYCLES,
      bound_ms: BOUND_MS,
      writes: results.length,
      failed: failed.length,
      // what each failure was (status and side, or the client's error): a failure is only a count otherwise
      failed_by: Object.fromEntries(
        [
          ...failed
            .reduce((m, r) => {
              const why = r.status === 0 ? `error ${r.error}` : `${r.status} from ${r.target ?? 'the proxy'}`;
              return m.set(why, (m.get(why) ?? 0) + 1);
            }, new Map<string, number>())
            .entries(),
        ].sort((a, b) => b[1] - a[1]),
      ),
      lost_legacy: lost(inLegacy),
      lost_catalog: lost(inStore),
      duplicated_legacy: duplicated(inLegacy),
      duplicated_catalog: duplicated(inStore),
      write_p99_ms: Math.round(percentile(latencies, 99)),
      forward,
      back,
      loadavg: os.loadavg().map((l) => Math.round(l * 10) / 10),
    };
    const pass =
      forward.switched === CYCLES &&
      back.switched === CYCLES &&
      forward.hold_p99_ms <= HOLD_BAR_MS &&
      back.hold_p99_ms <= HOLD_BAR_MS &&
      forward.longest_wait_p99_ms <= HOLD_BAR_MS &&
      back.longest_wait_p99_ms <= HOLD_BAR_MS &&
      summary.failed === 0 &&
      summary.lost_legacy + summary.lost_catalog + summary.duplicated_legacy + summary.duplicated_catalog ===
        0;
    const row = (name: string, s: typeof forward) =>
      `| ${name} | ${s.switched}/${s.attempts} | ${s.hold_p50_ms} | ${s.hold_p99_ms} | ${s.longest_wait_p99_ms} | ${s.writes_held} | ${s.catch_up_p99_ms} |`;
    const markdown = [
      `${RATE} writes/s (POST /products, each its own sku) through the proxy while the products route's writes move to the catalog and back ${CYCLES} times, ${PAUSE_S} s apart (bound ${BOUND_MS} ms). Load average at the end: ${summary.loadavg.join(', ')}.`,
      '',
      '| direction | switched | hold p50 ms | hold p99 ms | longest wait p99 ms | writes held | catch-up p99 ms |',
      '| --- | --- | --- | --- | --- | --- | --- |',
      row('legacy → new', forward),
      row('new → legacy', back),
      '',
      `Writes: ${summary.writes}, failed ${summary.failed}${
        summary.failed > 0
          ? ` (${Object.entries(summary.failed_by)
              .map(([why, n]) => `${n} × ${why}`)
              .join(', ')})`
          : ''
      }; lost ${summary.lost_legacy} (legacy) / ${summary.lost_catalog} (catalog); duplicated ${summary.duplicated_legacy} / ${summary.duplicated_catalog}; write latency p99 ${summary.write_p99_ms} ms (from when each was due).`,
      '',
      `Bar: hold p99 ≤ ${HOLD_BAR_MS} ms each way, every attempt switched, 0 failed, lost or duplicated: **${pass ? 'met' : 'not met'}**.`,
    ].join('\n');
    await publishBenchmark({
      id: 'write-switch',
      title: 'Write switch (strangler move-writes) under load',
      command: 'npm run bench:write-switch',
      markdown,
      summary: { ...summary, pass },
    });
    if (!pass) process.exitCode = 1;
  } finally {
    await shop.destroy();
    await store.destroy();
    await system.stop();
    const dropper = createMysqlKnex(server.url, undefined, { min: 0, max: 1 });
    for (const db of dbs) await dropper.raw(`DROP DATABASE IF EXISTS \`${db}\``);
    await dropper.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
