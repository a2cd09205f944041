import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ownershipClient, reverseSyncClient } from '../../cdc/reverse-sync/index.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { freePort } from '../../lib/net.ts';
import { percentile } from '../../lib/stats.ts';
import { defaultPorts, type PortName } from '../up/components.ts';
import { startSystem } from '../up/system.ts';
import { publishBenchmark } from './report.ts';

/**
 * `npm run bench:reverse-sync`: the toolkit as `npm start` runs it (free ports, fresh databases
 * on the private MariaDB), the catalog owning products and inventory with reverse sync on.
 * Writes go straight into the catalog's store, as its write handlers would: ROWS products,
 * updated round robin at RATE single-row UPDATEs a second for SECONDS, each stamping its sequence
 * number in the name. A poller reads the shop's copies of those rows every 10 ms; a write is
 * visible when legacy shows its sequence number or a later one of the same row. Latency = first
 * poll that sees it − the store commit's OK at the client. Bar: p99 ≤ 500 ms at 500 writes/s.
 */
const env = process.env;
const RATE = Number(env.BENCH_RATE ?? 500);
const SECONDS = Number(env.BENCH_SECONDS ?? 20);
const ROWS = Number(env.BENCH_ROWS ?? 200);
const CONNECTIONS = Number(env.BENCH_CONNECTIONS ?? 8);
const BAR_P99_MS = 500;
const TICK_MS = 10;
const FIRST_ID = 2_000_000;

const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const round = (n: number, digits = 1) => Number(n.toFixed(digits));

async function main(): Promise<void> {
  const server = await resolveServerUrl();
  const suffix = randomBytes(3).toString('hex');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'strangler-reverse-bench-'));
  const dbs = {
    shop: `rsb_shop_${suffix}`,
    catalog: `rsb_catalog_${suffix}`,
    orders: `rsb_orders_${suffix}`,
    writers: `rsb_writers_${suffix}`,
    state: `rsb_reverse_${suffix}`,
  };
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(defaultPorts) as PortName[]) e[name] = String(await freePort());
  Object.assign(e, {
    MYSQL_URL: server.url,
    SHOP_DB: dbs.shop,
    CATALOG_DB: dbs.catalog,
    ORDERS_DB: dbs.orders,
    WRITERS_DB: dbs.writers,
    REVERSE_STATE_DB: dbs.state,
    STRANGLER_DATA_DIR: dataDir,
    BROKER_DATA_DIR: path.join(dataDir, 'broker'),
    CONNECTOR_SERVER_ID: String(300_000 + Math.floor(Math.random() * 1_000_000_000)),
    STORE_CONNECTOR_SERVER_ID: String(300_000 + Math.floor(Math.random() * 1_000_000_000)),
    PROXY_ADMIN_TOKEN: randomBytes(16).toString('hex'),
    LOG_LEVEL: 'warn',
  });
  delete e.KAFKA_BROKERS;
  delete e.PROXY_ROUTES_FILE;
  console.error('starting the toolkit…');
  const system = await startSystem({ env: e, seedScale: 0.01 });
  const store = createMysqlKnex(server.url, dbs.catalog, { min: 0, max: CONNECTIONS });
  const shop = createMysqlKnex(server.url, dbs.shop, { min: 0, max: 2 });
  try {
    const catalogUrl = `http://127.0.0.1:${e.CATALOG_PORT}`;
    const reverse = reverseSyncClient(system.urls.reverseSync);
    const deadline = Date.now() + 180_000;
    while ((await fetch(`${catalogUrl}/products/1`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline) throw new Error('the catalog did not serve /products/1 within 180 s');
      await sleep(500);
    }
    const tables = ['inventory', 'products'];
    await ownershipClient(catalogUrl).set(tables);
    await reverse.enable(tables);
    await reverse.waitCaughtUp(tables, { timeoutMs: 60_000 });
    const at = new Date();
    const rows = Array.from({ length: ROWS }, (_, i) => ({
      id: FIRST_ID + i,
      sku: `RSB-${i}`,
      name: 'v0',
      description: null,
      price: '1.00',
      category: 'bench',
      attributes: '{}',
      created_at: at,
      updated_at: at,
      product_exists: 1,
      product_pos: '',
      stock: 1,
      inventory_pos: '',
    }));
    await store('catalog_products').insert(rows);
    await reverse.waitCaughtUp(tables, { timeoutMs: 60_000 });
    const inLegacy = await shop('products')
      .whereBetween('id', [FIRST_ID, FIRST_ID + ROWS - 1])
      .count({ n: '*' });
    if (Number(inLegacy[0]?.n) !== ROWS)
      throw new Error(`only ${inLegacy[0]?.n} of ${ROWS} bench rows reached legacy`);

    // per row, the commit time of each sequence number written to it, oldest first
    const pending = new Map<number, { seq: number; committedAt: number }[]>();
    const latencies: number[] = [];
    let polls = 0;
    let writing = true;
    let stopAt = Number.POSITIVE_INFINITY;
    const poller = (async () => {
      while (writing || [...pending.values()].some((p) => p.length > 0)) {
        const started = now();
        const seen = await shop('products')
          .whereBetween('id', [FIRST_ID, FIRST_ID + ROWS - 1])
          .select('id', 'name');
        const at = now();
        polls++;
        for (const r of seen) {
          const seq = Number(String(r.name).slice(1));
          const list = pending.get(Number(r.id));
          while (list && list.length > 0 && list[0]!.seq <= seq)
            latencies.push(at - list.shift()!.committedAt);
        }
        if (!writing && at - stopAt > 60_000) break;
        await sleep(Math.max(0, TICK_MS - (now() - started)));
      }
    })();
    let seq = 0;
    let errors = 0;
    const loadBefore = os.loadavg()[0]!;
    const start = now();
    const inFlight = new Set<Promise<void>>();
    // Paced by the clock, not by timer ticks: on a loaded host a 10 ms timer fires late, and
    // each wake-up issues every write due by then.
    while (now() - start < SECONDS * 1000) {
      const due = Math.floor(((now() - start) * RATE) / 1000) - seq;
      for (let i = 0; i < due; i++) {
        const s = ++seq;
        const id = FIRST_ID + (s % ROWS);
        const write = store('catalog_products')
          .where({ id })
          .update({ name: `v${s}` })
          .then(
            () => {
              const list = pending.get(id) ?? [];
              // commits of one row may come back out of order: keep the list sorted by seq
              list.push({ seq: s, committedAt: now() });
              list.sort((a, b) => a.seq - b.seq);
              pending.set(id, list);
            },
            () => {
              errors++;
            },
          )
          .finally(() => inFlight.delete(write));
        inFlight.add(write);
      }
      await sleep(TICK_MS / 2);
    }
    await Promise.all(inFlight);
    const elapsed = (now() - start) / 1000;
    // Where a backlog sits when the writes stop: still in the store's binlog (the connector
    // reads behind the server's end) or in Kafka (the applier's events behind).
    const connectorStatus = (await (await fetch(`${system.urls.storeConnector}/status`)).json()) as {
      lagMs: number;
      queued: number;
      eventsTotal: number;
    };
    const reverseStatus = await reverse.status();
    const backlog = {
      storeConnectorLagMs: connectorStatus.lagMs,
      storeConnectorQueued: connectorStatus.queued,
      reverseLagMs: reverseStatus.tables.products?.lagMs ?? null,
    };
    stopAt = now();
    writing = false;
    await poller;
    const loadAfter = os.loadavg()[0]!;
    const unseen = [...pending.values()].reduce((n, p) => n + p.length, 0);
    latencies.sort((a, b) => a - b);
    const figures = {
      writesPerSecond: round(seq / elapsed),
      writes: seq,
      errors,
      unseen,
      p50Ms: round(percentile(latencies, 50)),
      p95Ms: round(percentile(latencies, 95)),
      p99Ms: round(percentile(latencies, 99)),
      maxMs: round(latencies[latencies.length - 1] ?? Number.NaN),
      polls,
      loadAverage: [round(loadBefore, 2), round(loadAfter, 2)],
      backlogAtEnd: backlog,
      pass: unseen === 0 && errors === 0 && percentile(latencies, 99) <= BAR_P99_MS,
    };
    const markdown = [
      `The toolkit as \`npm start\` runs it; the catalog owns \`products\` and \`inventory\`, reverse sync on.`,
      `${ROWS} products in the catalog's store updated round robin, one row per UPDATE (autocommit, ${CONNECTIONS} connections),`,
      `for ${SECONDS} s; the shop's copies polled every ${TICK_MS} ms (latency includes up to one poll interval).`,
      'Store commit → visible in legacy (store binlog → store connector → broker → reverse applier → shop):',
      '',
      '| target rate | achieved | writes | p50 | p95 | p99 | max | bar (p99) | load average (1 min, before/after) |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |',
      `| ${RATE}/s | ${figures.writesPerSecond}/s | ${seq} | ${figures.p50Ms} ms | ${figures.p95Ms} ms | ${figures.p99Ms} ms | ${figures.maxMs} ms | ≤ ${BAR_P99_MS} ms: ${figures.pass ? 'met' : 'NOT met'} | ${figures.loadAverage.join(' / ')} |`,
      '',
      unseen > 0 || errors > 0
        ? `${unseen} writes never seen in legacy, ${errors} writes failed.`
        : 'Every write was seen in legacy.',
    ].join('\n');
    console.error(markdown);
    await publishBenchmark({
      id: 'reverse-sync',
      title: 'Reverse sync: catalog store commit → legacy visible',
      command: `npm run bench:reverse-sync${RATE !== 500 || SECONDS !== 20 ? ` (BENCH_RATE=${RATE} BENCH_SECONDS=${SECONDS})` : ''}`,
      markdown,
      summary: figures,
    });
  } finally {
    await Promise.all([store.destroy(), shop.destroy()]);
    await system.stop();
    const dropper = createMysqlKnex(server.url, undefined, { min: 0, max: 1 });
    for (const db of Object.values(dbs)) await dropper.raw(`DROP DATABASE IF EXISTS \`${db}\``);
    await dropper.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
