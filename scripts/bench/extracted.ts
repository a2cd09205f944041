import { randomBytes } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { Kafka, logLevel } from 'kafkajs';
import { startTestBroker } from '../../cdc/broker/test-broker.ts';
import { type Projection, ProjectionRunner } from '../../cdc/consumer/index.ts';
import { loadCatalogConfig } from '../../extracted/catalog/config.ts';
import { catalogMigrations } from '../../extracted/catalog/data-access/migrations.ts';
import { catalogProjection } from '../../extracted/catalog/entry-points/catalog-projection.ts';
import { ordersMigrations } from '../../extracted/orders/data-access/migrations.ts';
import { ordersProjection } from '../../extracted/orders/entry-points/orders-projection.ts';
import { migrate, openStore } from '../../extracted/service-kit/store.ts';
import { debeziumMessage, writtenBinlog } from '../../extracted/service-kit/testing/debezium-publisher.ts';
import { migrateLatest } from '../../legacy-monolith/migrations/index.ts';
import { seedShop } from '../../legacy-monolith/seed/seed-shop.ts';
import { repoRoot, startComponent } from '../../lib/component-process.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { createMysqlKnex, ensureDatabase } from '../../lib/knex-mysql.ts';
import { freePort } from '../../lib/net.ts';
import { percentile } from '../../lib/stats.ts';
import { publishBenchmark } from './report.ts';

/**
 * `npm run bench:extracted`.
 * 1. Apply rate: one projection (the catalog's) applying pre-produced Debezium events (with
 *    JsonConverter schemas) from the embedded broker into MariaDB, batch mode (multi-row upsert
 *    per batch, one transaction with the offsets), against the same runner applying event by
 *    event (one row per statement) as the reference.
 * 2. End-to-end lag at a steady write rate: commits into shop.inventory → row visible in the
 *    catalog service's store (the catalog runs as its own process); the time from commit to
 *    first visibility is read by polling the store every few ms.
 */
const env = process.env;
const EVENTS = Number(env.BENCH_EVENTS ?? 50_000);
const BASELINE_EVENTS = Number(env.BENCH_BASELINE_EVENTS ?? 5_000);
const RATE = Number(env.BENCH_RATE ?? 1000);
const SECONDS = Number(env.BENCH_SECONDS ?? 10);
/** The end-to-end bar must hold in every run, not in one lucky one: BENCH_E2E_RUNS runs (default 5). */
const E2E_RUNS = Number(env.BENCH_E2E_RUNS ?? 5);
const E2E_P99_BAR_MS = 500;
const DISTINCT = 5_000;
/** Diagnostics: BENCH_ONLY=e2e skips the apply-rate runs; BENCH_NO_PUBLISH=1 leaves the docs alone. */
const ONLY_E2E = env.BENCH_ONLY === 'e2e';
/**
 * BENCH_TRACE=<file>: writes every sample's times (ms) as JSON: UPDATE issued, committed, Kafka
 * record made by the connector (its CreateTime), received by an observer consumer in this
 * process (its own group, maxWait 100 ms; it costs this process CPU), seen in the store; plus
 * every poll's time and the CPU seconds each component used over the run. The lag split by stage.
 */
const TRACE = env.BENCH_TRACE;

/**
 * BENCH_TRACE only: CPU seconds (user + system) used so far by this process and each of its
 * descendants, by component (read from /proc; Linux only, empty elsewhere).
 */
async function cpuByComponent(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  let entries: string[];
  try {
    entries = (await readdir('/proc')).filter((e) => /^\d+$/.test(e));
  } catch {
    return out;
  }
  const info = new Map<number, { ppid: number; cpu: number; cmd: string }>();
  for (const e of entries) {
    try {
      const stat = await readFile(`/proc/${e}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = (await readFile(`/proc/${e}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      info.set(Number(e), {
        ppid: Number(fields[1]),
        cpu: (Number(fields[11]) + Number(fields[12])) / 100,
        cmd,
      });
    } catch {}
  }
  const ours = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 20; p = info.get(p)?.ppid ?? 0, hops++)
      if (p === process.pid) return true;
    return false;
  };
  for (const [pid, { cpu, cmd }] of info) {
    const name = cmd.includes('mariadbd')
      ? 'mariadbd (shared)'
      : pid === process.pid
        ? 'bench'
        : !ours(pid)
          ? undefined
          : (/(connector|catalog|broker)\/main\.ts/.exec(cmd)?.[1] ?? undefined);
    if (name) out[name] = (out[name] ?? 0) + cpu;
  }
  return out;
}

function productRow(i: number) {
  const id = (i % DISTINCT) + 1;
  return {
    id,
    sku: `SKU-${id}`,
    name: `Product ${id} v${i}`,
    description: 'benchmark product',
    price: `${(i % 9000) + 1}.${String(i % 100).padStart(2, '0')}`,
    category: `cat-${id % 12}`,
    attributes: JSON.stringify({ colour: 'red', size: i % 5 }),
    created_at: new Date(1_700_000_000_000 + id),
    updated_at: new Date(1_700_000_000_000 + i),
  };
}

const catalogBench = {
  table: 'products',
  topics: ['products', 'inventory'],
  readTable: 'catalog_products',
  migrations: catalogMigrations,
  projection: catalogProjection,
  row: productRow,
};

const ordersBench = {
  table: 'orders',
  topics: ['orders', 'order_items', 'payments', 'products', 'users'],
  readTable: 'ord_orders',
  migrations: ordersMigrations,
  projection: ordersProjection,
  row: (i: number) => ({
    id: (i % DISTINCT) + 1,
    user_id: (i % 97) + 1,
    status: ['pending', 'paid', 'cancelled'][i % 3],
    total: `${(i % 5000) + 1}.${String(i % 100).padStart(2, '0')}`,
    currency: 'EUR',
    created_at: new Date(1_700_000_000_000 + (i % DISTINCT)),
    updated_at: new Date(1_700_000_000_000 + i),
  }),
};

async function applyRate(
  kafka: Kafka,
  brokers: string[],
  serverUrl: string,
  count: number,
  mode: 'batch' | 'per-event',
  service: 'catalog' | 'orders' = 'catalog',
): Promise<number> {
  const spec = service === 'catalog' ? catalogBench : ordersBench;
  const prefix = `b${randomBytes(3).toString('hex')}`;
  const database = `bench_${prefix}`;
  const knex = await openStore(serverUrl, database, 10);
  await migrate(knex, service, spec.migrations);
  const topic = `${prefix}.shop.${spec.table}`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [...spec.topics.map((t) => ({ topic: `${prefix}.shop.${t}`, numPartitions: 1 }))],
  });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < count; i += 1000) {
    const messages = [];
    for (let j = i; j < Math.min(count, i + 1000); j++) {
      messages.push(
        debeziumMessage(prefix, 'shop', spec.table, j < DISTINCT ? 'c' : 'u', spec.row(j), {
          file: 'mariadb-bin.000001',
          pos: 1000 + j,
        }),
      );
    }
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();
  const config = loadCatalogConfig({ topicPrefix: prefix, sourceDatabase: 'shop' });
  const batch = spec.projection(config);
  const projection: Projection =
    mode === 'batch'
      ? batch
      : {
          ...batch,
          handleBatch: undefined,
          handle: (event, trx) => batch.handleBatch!([event], trx),
        };
  const runner = new ProjectionRunner({ brokers, groupId: `bench-${prefix}`, knex, projection });
  const started = performance.now();
  await runner.start();
  // The runner checks each event before applying it: one refused would leave this waiting forever.
  while (runner.counters.applied + runner.counters.deadLettered < count)
    await new Promise((r) => setTimeout(r, 20));
  if (runner.counters.deadLettered > 0)
    throw new Error(
      `the ${service} projection dead-lettered ${runner.counters.deadLettered} bench events: ${JSON.stringify(runner.counters.deadLetteredByReason)}`,
    );
  const seconds = (performance.now() - started) / 1000;
  await runner.stop();
  const rows = await knex(spec.readTable).count({ n: '*' });
  if (Number(rows[0]?.n) !== Math.min(count, DISTINCT))
    throw new Error(`expected ${Math.min(count, DISTINCT)} rows, found ${rows[0]?.n}`);
  await knex.raw(`DROP DATABASE \`${database}\``);
  await knex.destroy();
  return count / seconds;
}

interface LagResult {
  mode: string;
  /** 1-minute load average when the steady writes started and when the last write was seen. */
  load: [number, number];
  samples: number;
  p50: number;
  p99: number;
  max: number;
  achievedRate: number;
}

/** Steady commits into shop.inventory; visibility in the catalog's store polled every 5 ms. */
async function endToEnd(kafka: Kafka, brokers: string[], serverUrl: string): Promise<LagResult> {
  const prefix = `e${randomBytes(3).toString('hex')}`;
  const shopDb = `bench_${prefix}_shop`;
  const catalogDb = `bench_${prefix}_cat`;
  await ensureDatabase(serverUrl, shopDb);
  const shop = createMysqlKnex(serverUrl, shopDb, { min: 0, max: 20 });
  await migrateLatest(shop);
  await seedShop(shop, { products: 200, users: 5, orders: 0, seed: 1 });
  const connectorScript = 'cdc/connector/main.ts';
  // The real path by default; BENCH_E2E_PUBLISHER=1 measures the services alone, the bench
  // publishing the Debezium events itself (a missing connector fails the start, not this choice).
  const useConnector = env.BENCH_E2E_PUBLISHER !== '1';
  const procs = [];
  const producer = kafka.producer();
  await producer.connect();
  // Without the connector the bench makes the events up: their positions must be ones the source
  // has written (the catalog dead-letters any beyond), so in a file with enough bytes in it.
  const file = useConnector ? '' : await writtenBinlog(serverUrl, 1000 + RATE * SECONDS + 1);
  if (useConnector) {
    const port = await freePort();
    procs.push(
      await startComponent({
        name: 'connector',
        script: connectorScript,
        env: {
          MYSQL_URL: serverUrl,
          SHOP_DB: shopDb,
          KAFKA_BROKERS: brokers.join(','),
          CDC_TOPIC_PREFIX: prefix,
          CONNECTOR_PORT: String(port),
          LOG_LEVEL: 'warn',
          CONNECTOR_SERVER_ID: String(5000 + Math.floor(Math.random() * 1000)),
          CONNECTOR_OFFSETS_DIR: path.join(repoRoot, '.data', `bench-${prefix}`),
        },
        readyUrl: `http://127.0.0.1:${port}/health`,
        readyTimeoutMs: 60_000,
      }),
    );
  } else {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({
      topics: ['products', 'inventory'].map((t) => ({ topic: `${prefix}.${shopDb}.${t}`, numPartitions: 1 })),
    });
    await admin.disconnect();
    for (const table of ['products', 'inventory']) {
      const rows = await shop(table).select();
      await producer.send({
        topic: `${prefix}.${shopDb}.${table}`,
        messages: rows.map((r) =>
          debeziumMessage(prefix, shopDb, table, 'r', r, {
            file,
            pos: 4,
            snapshot: true,
          }),
        ),
      });
    }
  }
  const catalogPort = await freePort();
  procs.push(
    await startComponent({
      name: 'catalog',
      script: 'extracted/catalog/main.ts',
      env: {
        MYSQL_URL: serverUrl,
        SHOP_DB: shopDb,
        CATALOG_DB: catalogDb,
        KAFKA_BROKERS: brokers.join(','),
        CDC_TOPIC_PREFIX: prefix,
        CATALOG_PORT: String(catalogPort),
        LOG_LEVEL: 'warn',
      },
      readyUrl: `http://127.0.0.1:${catalogPort}/health`,
      readyTimeoutMs: 60_000,
    }),
  );
  const store = createMysqlKnex(serverUrl, catalogDb, { min: 1, max: 2 });
  // Wait for the snapshot: 200 products visible.
  for (;;) {
    const ok =
      (await store.schema.hasTable('catalog_products')) &&
      Number((await store('catalog_products').where('product_exists', 1).count({ n: '*' }))[0]?.n) === 200;
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const total = RATE * SECONDS;
  const committedAt = new Array<number>(total).fill(0);
  const visibleAt = new Array<number>(total).fill(0);
  const productOf = (seq: number) => (seq % 200) + 1;
  const base = 10_000_000;
  let seen = 0;
  let polling = true;
  // Every committed write not yet seen in the store, in commit order. Each is checked on every
  // poll on its own: a write whose commit is still in flight must not hold back the others (the
  // poller once stopped at the first uncommitted sequence number, so one commit that took a
  // second stamped every later write's visibility a second late).
  const unseen: number[] = [];
  const pollTimes: number[] = [];
  const poller = (async () => {
    const latest = new Map<number, number>();
    while (polling) {
      const rows = await store('catalog_products').select('id', 'stock');
      const now = performance.now();
      if (TRACE) pollTimes.push(now);
      for (const r of rows) latest.set(Number(r.id), Number(r.stock ?? 0));
      let kept = 0;
      for (const s of unseen) {
        if ((latest.get(productOf(s)) ?? 0) >= base + s) {
          visibleAt[s] = now;
          seen++;
        } else unseen[kept++] = s;
      }
      unseen.length = kept;
      await new Promise((r) => setTimeout(r, 5));
    }
  })();
  // Stand-in for the connector: sends what was committed every few ms in one batch, as a
  // binlog reader does (one produce per event would measure this process's CPU, not the path).
  const pending: { key: string; value: string }[] = [];
  let publishing = !useConnector;
  const publisher = (async () => {
    while (publishing || pending.length > 0) {
      if (pending.length === 0) {
        await new Promise((r) => setTimeout(r, 2));
        continue;
      }
      const messages = pending.splice(0, pending.length);
      await producer.send({ topic: `${prefix}.${shopDb}.inventory`, acks: -1, messages });
    }
  })();
  const fetchedAt = new Array<number>(total).fill(0);
  const issuedAt = new Array<number>(total).fill(0);
  const recordAt = new Array<number>(total).fill(0);
  let observer: ReturnType<Kafka['consumer']> | undefined;
  if (TRACE) {
    observer = kafka.consumer({ groupId: `${prefix}-observer`, maxWaitTimeInMs: 100 });
    await observer.connect();
    await observer.subscribe({ topics: [`${prefix}.${shopDb}.inventory`], fromBeginning: false });
    await observer.run({
      eachMessage: async ({ message }) => {
        const now = performance.now();
        const text = message.value?.toString() ?? '';
        const m = /"stock":(\d+)/.exec(text.slice(text.lastIndexOf('"after"')));
        const seq = m ? Number(m[1]) - base : -1;
        if (seq >= 0 && seq < total && fetchedAt[seq] === 0) {
          fetchedAt[seq] = now;
          // the connector's clock: when it made the Kafka record (its CreateTime)
          recordAt[seq] = Number(message.timestamp) - performance.timeOrigin;
        }
      },
    });
    await new Promise((r) => setTimeout(r, 3000)); // joined and positioned
  }
  const cpuBefore = TRACE ? await cpuByComponent() : {};
  const loadAtStart = os.loadavg()[0]!;
  const started = performance.now();
  const inFlight = new Set<Promise<void>>();
  for (let seq = 0; seq < total; seq++) {
    const due = started + (seq * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const p = (async () => {
      issuedAt[seq] = performance.now();
      const stock = base + seq;
      await shop('inventory')
        .where({ product_id: productOf(seq) })
        .update({ stock });
      committedAt[seq] = performance.now();
      unseen.push(seq);
      if (!useConnector) {
        const row = { product_id: productOf(seq), stock, updated_at: new Date() };
        pending.push(
          debeziumMessage(prefix, shopDb, 'inventory', 'u', row, {
            file,
            pos: 1000 + seq,
          }),
        );
      }
    })();
    inFlight.add(p);
    p.finally(() => inFlight.delete(p));
  }
  await Promise.all(inFlight);
  publishing = false;
  await publisher;
  const achievedRate = total / ((performance.now() - started) / 1000);
  const deadline = performance.now() + 30_000;
  while (seen < total && performance.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  polling = false;
  await poller;
  const cpuAfter = TRACE ? await cpuByComponent() : {};
  const loadAtEnd = os.loadavg()[0]!;
  const wall = (performance.now() - started) / 1000;
  const lags = committedAt
    .map((c, i) => (visibleAt[i] ? visibleAt[i]! - c : Number.POSITIVE_INFINITY))
    .sort((a, b) => a - b);
  if (TRACE) {
    await observer?.disconnect();
    const r = (n: number) => Math.round((n - started) * 10) / 10;
    const samples = committedAt.map((c, i) => [
      r(issuedAt[i]!),
      r(c),
      recordAt[i] ? r(recordAt[i]!) : null,
      fetchedAt[i] ? r(fetchedAt[i]!) : null,
      visibleAt[i] ? r(visibleAt[i]!) : null,
    ]);
    await writeFile(
      TRACE,
      JSON.stringify({
        // ms since the steady writes started; `record` is the connector's clock (the Kafka
        // record's CreateTime), `fetched` the observer's, the others this process's
        fields: ['issued', 'committed', 'record', 'fetched', 'visible'],
        samples,
        polls: pollTimes.map(r),
        cpuSeconds: Object.fromEntries(
          Object.entries(cpuAfter).map(([k, v]) => [k, Math.round((v - (cpuBefore[k] ?? 0)) * 100) / 100]),
        ),
        wallSeconds: wall,
        origin: performance.timeOrigin + started,
      }),
    );
  }
  for (const p of procs.reverse()) await p.stop('SIGTERM');
  await producer.disconnect();
  await store.destroy();
  await shop.raw(`DROP DATABASE \`${catalogDb}\``);
  await shop.raw(`DROP DATABASE \`${shopDb}\``);
  await shop.destroy();
  return {
    mode: useConnector
      ? 'monolith DB commit → cdc/connector → broker → catalog store'
      : 'DB commit → the bench publishes the Debezium events itself, batched every ~2 ms (BENCH_E2E_PUBLISHER=1) → broker → catalog store',
    load: [loadAtStart, loadAtEnd],
    samples: lags.filter(Number.isFinite).length,
    p50: percentile(lags, 50),
    p99: percentile(lags, 99),
    max: lags[lags.length - 1]!,
    achievedRate,
  };
}

async function main() {
  const server = await resolveServerUrl();
  const broker = await startTestBroker();
  const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING });
  try {
    const endToEndRuns = async (): Promise<LagResult[]> => {
      const runs: LagResult[] = [];
      for (let i = 0; i < E2E_RUNS; i++) {
        runs.push(await endToEnd(kafka, broker.brokers, server.url));
        const last = runs[runs.length - 1]!;
        console.error(
          `end-to-end run ${i + 1}/${E2E_RUNS}: p50 ${last.p50.toFixed(1)} ms, p99 ${last.p99.toFixed(1)} ms, max ${last.max.toFixed(1)} ms, ${Math.round(last.achievedRate)} writes/s, load ${last.load.map((l) => l.toFixed(1)).join(' → ')}`,
        );
      }
      return runs;
    };
    if (ONLY_E2E) {
      for (const lag of await endToEndRuns()) console.log(JSON.stringify(lag));
      return;
    }
    const batchRate = await applyRate(kafka, broker.brokers, server.url, EVENTS, 'batch');
    const perEventRate = await applyRate(kafka, broker.brokers, server.url, BASELINE_EVENTS, 'per-event');
    const ordersRate = await applyRate(kafka, broker.brokers, server.url, EVENTS, 'batch', 'orders');
    const runs = await endToEndRuns();
    // The median run by p99 stands for the bench; every run's p99 is printed beside it.
    const lag = [...runs].sort((a, b) => a.p99 - b.p99)[Math.floor(runs.length / 2)]!;
    const runsMet = runs.filter((l) => l.p99 <= E2E_P99_BAR_MS).length;
    const r = (n: number) => Math.round(n * 10) / 10;
    const summary = {
      apply_events_per_s: Math.round(batchRate),
      apply_orders_events_per_s: Math.round(ordersRate),
      apply_per_event_reference_events_per_s: Math.round(perEventRate),
      apply_ratio_vs_per_event: r(batchRate / perEventRate),
      p50_ms_end_to_end_at_1k: r(lag.p50),
      p99_ms_end_to_end_at_1k: r(lag.p99),
      max_ms_end_to_end_at_1k: r(lag.max),
      end_to_end_writes_per_s: Math.round(lag.achievedRate),
      end_to_end_samples: lag.samples,
      end_to_end_mode: lag.mode,
      load_average_1m_end_to_end: lag.load.map(r),
      end_to_end_runs: runs.length,
      p99_ms_end_to_end_runs: runs.map((l) => r(l.p99)),
      end_to_end_writes_per_s_runs: runs.map((l) => Math.round(l.achievedRate)),
      end_to_end_runs_meeting_bar: runsMet,
      bar_end_to_end_met: runsMet === runs.length,
    };
    const markdown = [
      'One projection (catalog: shop.products → catalog_products) on the embedded broker and the private MariaDB; the machine is shared with other work, so figures are noisy.',
      '',
      '| measure | value | bar |',
      '|---|---|---|',
      `| events applied/s, batch mode (${EVENTS} events, ${DISTINCT} rows, one transaction per fetched batch) | ${summary.apply_events_per_s} | ≥ 5000 |`,
      `| events applied/s, orders projection (shop.orders → ord_orders, ${EVENTS} events) | ${summary.apply_orders_events_per_s} | ≥ 5000 |`,
      `| events applied/s, reference: same runner, one statement per event (${BASELINE_EVENTS} events) | ${summary.apply_per_event_reference_events_per_s} | — |`,
      `| batch / per-event | ${summary.apply_ratio_vs_per_event}× | — |`,
      `| end-to-end p50 / p99 / max at ${RATE} writes/s for ${SECONDS} s, the median of ${runs.length} runs by p99 (${lag.samples} samples, achieved ${summary.end_to_end_writes_per_s}/s) | ${summary.p50_ms_end_to_end_at_1k} / ${summary.p99_ms_end_to_end_at_1k} / ${summary.max_ms_end_to_end_at_1k} ms | p99 ≤ ${E2E_P99_BAR_MS} ms in every run |`,
      `| end-to-end p99 of each run (writes/s achieved) | ${runs.map((l) => `${r(l.p99)} ms (${Math.round(l.achievedRate)}/s)`).join(', ')}; spread ${r(Math.min(...runs.map((l) => l.p99)))}–${r(Math.max(...runs.map((l) => l.p99)))} ms | ${runsMet} of ${runs.length} met |`,
      '',
      `End-to-end path: ${lag.mode}. Visibility is read by polling the service's store every 5 ms (adds up to ~5 ms).`,
      '',
      `Load average (1 min) per run when the steady writes started / when the last was seen: ${runs.map((l) => `${r(l.load[0])} / ${r(l.load[1])}`).join(', ')} on ${os.cpus().length} cores. At 1000 writes/s the path needs about half a core besides MariaDB and some ten wake-ups of its processes per event: on a machine busier than its cores each waits its turn, so the lag follows the load (docs/history/extracted.md, 2026-12-06).`,
    ].join('\n');
    if (env.BENCH_NO_PUBLISH) {
      console.log(markdown);
      console.log(JSON.stringify(summary));
      return;
    }
    await publishBenchmark({
      id: 'extracted',
      title: 'Extracted services: projection apply rate and end-to-end lag',
      command: 'npm run bench:extracted',
      markdown,
      summary,
    });
  } finally {
    await broker.stop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
