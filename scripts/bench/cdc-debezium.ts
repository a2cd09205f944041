import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { startComponent } from '../../lib/component-process.ts';
import { withDatabase } from '../../lib/database/url.ts';
import { freePort, waitFor } from '../../lib/net.ts';
import { startConnect } from '../interop/connect.ts';
import { debeziumConfig } from '../interop/debezium.ts';
import { startKafka } from '../interop/kafka.ts';
import { ensureInteropMariaDb } from '../interop/mariadb.ts';
import { commitToKafkaLatency, type LatencyRun, loadProducts, wallNow } from './cdc-workload.ts';
import { peakRssMiB, treeCpuSeconds } from './proc-cpu.ts';
import { publishBenchmark } from './report.ts';

/**
 * `npm run bench:cdc:debezium`: cdc/connector and real Debezium (Kafka Connect standalone with
 * the MySQL connector, JSON with schemas), one after the other, on the same `products` table,
 * with the same writes, into the same real Apache Kafka (one KRaft node), under the same
 * connector configuration (scripts/interop/debezium.ts). Debezium runs twice: with its
 * defaults, then tuned as its documentation advises (`tunedConnector`, `tunedWorker`). Per tool:
 * snapshot rows/s, streaming events/s, commit → Kafka p50/p99 at 1k and 5k changes/s, CPU and
 * peak memory; then the ratios. Each tool runs alone, so none competes with another.
 */
const env = process.env;
const ROWS = Number(env.BENCH_ROWS ?? 100_000);
const STREAM_EVENTS = Number(env.BENCH_STREAM_EVENTS ?? 50_000);
const LATENCY_SECONDS = Number(env.BENCH_LATENCY_SECONDS ?? 10);
const round = (n: number, digits = 0) => Number(n.toFixed(digits));

/**
 * Debezium's performance settings, as its connector and Kafka Connect documentation describe
 * them: larger batches and queue (max.batch.size 2048 → 8192, max.queue.size 8192 → 32768), a
 * shorter wait for new events (poll.interval.ms 500 → 50), and the worker's producer batching
 * more per request and compressing it (batch.size 16 KiB → 1 MiB, linger.ms 0 → 5, gzip: the
 * codec cdc/connector uses, and one every Kafka client reads — kafkajs, which the latency probe
 * consumes with, has no lz4).
 */
const tunedConnector = { 'max.batch.size': '8192', 'max.queue.size': '32768', 'poll.interval.ms': '50' };
const tunedWorker = {
  'producer.batch.size': '1048576',
  'producer.linger.ms': '5',
  'producer.compression.type': 'gzip',
};

/**
 * What a user gains and loses with each tool: the measured side from this run's figures (ours
 * against the better Debezium run), then what no figure shows (docs/connector.md has details).
 */
function gainsAndLosses(o: ToolRun, d: ToolRun): string[] {
  const than = (ours: number, theirs: number, more: string, less: string) =>
    ours >= theirs ? `${(ours / theirs).toFixed(1)}× ${more}` : `${(theirs / ours).toFixed(1)}× ${less}`;
  return [
    `**With cdc/connector**, on this run: ${than(o.snapshotRate, d.snapshotRate, 'the snapshot rate', 'a slower snapshot')},`,
    `${than(o.streamRate, d.streamRate, 'the streaming rate', 'slower streaming')}, commit → Kafka p99 at 1k/s ${o.at1k.p99} ms against ${d.at1k.p99} ms,`,
    `${than(d.cpuUsPerStreamEvent, o.cpuUsPerStreamEvent, 'less CPU per streamed event', 'more CPU per streamed event')}, peak memory ${o.peakRssMiB} MiB against`,
    `${d.peakRssMiB} MiB. Beyond the figures a user gains one Node process instead of a JVM with Kafka Connect (no plugin`,
    'path, no worker to run or tune) and events that are the same bytes a consumer reads from Debezium, except the',
    "differences `docs/connector.md` lists. They lose what only Debezium and Kafka Connect have: Connect's distributed",
    'mode (tasks rebalanced across workers) and REST management, converters other than JSON (Avro, Protobuf with a schema',
    'registry), single message transforms, incremental and blocking snapshots and signals, databases other than',
    'MySQL/MariaDB, and years of production use.',
    '',
    '**With Debezium** a user keeps that whole ecosystem and its support, and pays for it in a JVM per Connect worker',
    "(heap, start-up) and in tuning: its defaults batch little (`max.batch.size`, `max.queue.size`, the worker's producer)",
    'and wait up to `poll.interval.ms` for events.',
  ];
}

interface Tool {
  name: string;
  start(prefix: string, config: Record<string, string>): Promise<{ pid: number; stop(): Promise<unknown> }>;
}

interface ToolRun {
  name: string;
  snapshotRate: number;
  snapshotFromStart: number;
  streamRate: number;
  at1k: LatencyRun;
  at5k: LatencyRun;
  cpuUsPerSnapshotRow: number;
  cpuUsPerStreamEvent: number;
  peakRssMiB: number;
}

async function main() {
  const loadBefore = os.loadavg()[0]!;
  const server = await ensureInteropMariaDb();
  const dbName = `bench_dbz_${process.pid}`;
  const root = await mysql.createConnection(server.url);
  await root.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
  await root.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const dbUrl = withDatabase(server.url, dbName);
  const conn = await mysql.createConnection({ uri: dbUrl });
  const kafkaCluster = await startKafka({ nodes: 1, fullJit: true, heapMb: 1024 });
  const kafka = new Kafka({ brokers: kafkaCluster.brokers, logLevel: logLevel.NOTHING, clientId: 'bench' });
  const admin = kafka.admin();
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-cdc-dbz-'));
  try {
    console.error(`loading ${ROWS} rows into ${dbName}.products …`);
    await loadProducts(conn, ROWS);
    await admin.connect();

    const ours: Tool = {
      name: 'cdc/connector',
      async start(prefix, config) {
        const port = await freePort();
        const file = path.join(scratch, `${prefix}.json`);
        await fs.writeFile(file, JSON.stringify({ name: prefix, config }));
        const proc = await startComponent({
          name: 'connector',
          script: 'cdc/connector/main.ts',
          env: {
            MYSQL_URL: server.url,
            KAFKA_BROKERS: kafkaCluster.brokers.join(','),
            CONNECTOR_PORT: String(port),
            CONNECTOR_OFFSETS_DIR: scratch,
            CONNECTOR_CONFIG: file,
            LOG_LEVEL: 'warn',
          },
          readyUrl: `http://127.0.0.1:${port}/health`,
          readyTimeoutMs: 120_000,
          // As `npm run connector` runs it.
          nodeArgs: ['--max-semi-space-size=64'],
        });
        return { pid: proc.child.pid!, stop: () => proc.stop('SIGTERM') };
      },
    };
    const debezium = (name: string, worker: Record<string, string>): Tool => ({
      name,
      async start(prefix, config) {
        const w = await startConnect({
          brokers: kafkaCluster.brokers,
          connectors: [{ name: prefix, config }],
          worker,
          fullJit: true,
          heapMb: 1024,
          readyTimeoutMs: 180_000,
        });
        return { pid: w.process.pid, stop: () => w.stop() };
      },
    });
    const runs: Array<[Tool, Record<string, string>]> = [
      [ours, {}],
      [debezium('Debezium (defaults)', {}), {}],
      [debezium('Debezium (tuned)', tunedWorker), tunedConnector],
    ];

    const results: ToolRun[] = [];
    for (const [i, [tool, extra]] of runs.entries()) {
      const prefix = `b${i}`;
      const topic = `${prefix}.${dbName}.products`;
      const inKafka = async () => {
        try {
          return (await admin.fetchTopicOffsets(topic)).reduce((sum, p) => sum + Number(p.high), 0);
        } catch {
          return 0;
        }
      };
      const config = debeziumConfig({
        mysqlUrl: server.url,
        brokers: kafkaCluster.brokers,
        prefix,
        databases: [dbName],
        tables: [`${dbName}.products`],
        extra,
      });
      console.error(`${tool.name}: snapshot of ${ROWS} rows …`);
      const startedAt = wallNow();
      const started = tool.start(prefix, config);
      // The snapshot is timed from its first record in Kafka, so neither tool's start-up counts.
      let firstAt = 0;
      let atFirst = 0;
      await waitFor(
        'every snapshot row in Kafka',
        async () => {
          const n = await inKafka();
          if (n > 0 && firstAt === 0) [firstAt, atFirst] = [wallNow(), n];
          if (n < ROWS) throw new Error(`${n}/${ROWS}`);
        },
        { timeoutMs: 1_800_000, intervalMs: 100 },
      );
      const snapshotDoneAt = wallNow();
      const proc = await started;
      const cpuAfterSnapshot = treeCpuSeconds(proc.pid);
      const snapshotRate = (ROWS - atFirst) / ((snapshotDoneAt - firstAt) / 1000);
      const snapshotFromStart = ROWS / ((snapshotDoneAt - startedAt) / 1000);
      // Streaming: a probe change in Kafka says the binlog reader runs.
      const probeBase = await inKafka();
      await waitFor(
        'a streamed probe change',
        async () => {
          await conn.query('UPDATE products SET stock = stock + 1 WHERE id = 1');
          if ((await inKafka()) <= probeBase) throw new Error('not yet');
        },
        { timeoutMs: 180_000, intervalMs: 1000 },
      );
      await new Promise((r) => setTimeout(r, 2000));
      const base = await inKafka();
      const cpuBeforeStream = treeCpuSeconds(proc.pid);
      const streamStart = wallNow();
      for (let done = 0; done < STREAM_EVENTS; done += 10_000) {
        const from = 1 + (done % ROWS);
        await conn.query('UPDATE products SET stock = stock + 1 WHERE id BETWEEN ? AND ?', [
          from,
          from + 9_999,
        ]);
      }
      await waitFor(
        'every streamed event in Kafka',
        async () => {
          const n = (await inKafka()) - base;
          if (n < STREAM_EVENTS) throw new Error(`${n}/${STREAM_EVENTS}`);
        },
        { timeoutMs: 900_000, intervalMs: 50 },
      );
      const streamRate = STREAM_EVENTS / ((wallNow() - streamStart) / 1000);
      const cpuAfterStream = treeCpuSeconds(proc.pid);
      const latency = (rate: number) =>
        commitToKafkaLatency({ kafka, topic, dbUrl, rows: ROWS, rate, seconds: LATENCY_SECONDS });
      const at1k = await latency(1000);
      const at5k = await latency(5000);
      const run: ToolRun = {
        name: tool.name,
        snapshotRate: round(snapshotRate),
        snapshotFromStart: round(snapshotFromStart),
        streamRate: round(streamRate),
        at1k,
        at5k,
        // The whole process from its start: start-up and the snapshot together.
        cpuUsPerSnapshotRow: round((cpuAfterSnapshot * 1e6) / ROWS, 1),
        cpuUsPerStreamEvent: round(((cpuAfterStream - cpuBeforeStream) * 1e6) / STREAM_EVENTS, 1),
        peakRssMiB: round(peakRssMiB(proc.pid)),
      };
      console.error(JSON.stringify(run));
      results.push(run);
      await proc.stop();
    }

    const loadAfter = os.loadavg()[0]!;
    const [o, d, t] = results as [ToolRun, ToolRun, ToolRun];
    const ratio = (a: number, b: number) => round(a / b, 2);
    const row = (label: string, get: (r: ToolRun) => number, higherIsBetter: boolean) =>
      `| ${label} | ${get(o)} | ${get(d)} | ${get(t)} | ${higherIsBetter ? ratio(get(o), get(d)) : ratio(get(d), get(o))} | ${higherIsBetter ? ratio(get(o), get(t)) : ratio(get(t), get(o))} |`;
    const bars = {
      snapshot: o.snapshotRate >= 1.5 * Math.max(d.snapshotRate, t.snapshotRate),
      stream: o.streamRate >= 1.5 * Math.max(d.streamRate, t.streamRate),
      p99: o.at1k.p99 <= Math.min(d.at1k.p99, t.at1k.p99) && o.at5k.p99 <= Math.min(d.at5k.p99, t.at5k.p99),
    };
    const markdown = [
      `The \`products\` table of \`npm run bench:cdc\`, ${ROWS} rows; ${STREAM_EVENTS} updates in 10k-row statements; commit → Kafka`,
      `latency at 1k and 5k changes/s for ${LATENCY_SECONDS} s each. One tool at a time, on the same table and the same real`,
      'Apache Kafka 4.4 (one KRaft node, full JIT, 1 GiB heap), with the same connector configuration',
      '(`scripts/interop/debezium.ts`: JSON with schemas, tombstones, precise decimals). Debezium is 3.6.1.Final (MySQL connector)',
      'in Kafka Connect standalone (full JIT, 1 GiB heap, serial GC). Tuned Debezium: `max.batch.size=8192`,',
      '`max.queue.size=32768`, `poll.interval.ms=50`; worker `producer.batch.size=1048576`, `producer.linger.ms=5`,',
      '`producer.compression.type=gzip`. cdc/connector runs as `npm run connector` with its defaults (gzip batches).',
      `1-min load average before/after: ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)} (the 2 cores are shared with other work).`,
      '',
      '| measure | cdc/connector | Debezium (defaults) | Debezium (tuned) | ours ÷ defaults | ours ÷ tuned |',
      '| --- | --- | --- | --- | --- | --- |',
      row('snapshot rows/s (first to last record in Kafka)', (r) => r.snapshotRate, true),
      row('snapshot rows/s from process start', (r) => r.snapshotFromStart, true),
      row('streaming events/s', (r) => r.streamRate, true),
      row('commit → Kafka p50 ms at 1k/s', (r) => r.at1k.p50, false),
      row('commit → Kafka p99 ms at 1k/s', (r) => r.at1k.p99, false),
      row('commit → Kafka p50 ms at 5k/s', (r) => r.at5k.p50, false),
      row('commit → Kafka p99 ms at 5k/s', (r) => r.at5k.p99, false),
      row('CPU µs per snapshot row (start-up included)', (r) => r.cpuUsPerSnapshotRow, false),
      row('CPU µs per streamed event', (r) => r.cpuUsPerStreamEvent, false),
      row('peak RSS MiB', (r) => r.peakRssMiB, false),
      '',
      'Ratios are "times better" for cdc/connector (> 1: ours better). Latency runs achieved',
      results
        .map(
          (r) =>
            `${r.name} ${r.at1k.achieved}/${r.at5k.achieved} changes/s (${r.at1k.received}/${r.at1k.expected}, ${r.at5k.received}/${r.at5k.expected} events)`,
        )
        .join('; ') + '.',
      '',
      `Bars (against the better Debezium run): snapshot ≥ 1.5 × ${bars.snapshot ? 'met' : 'NOT met'}, streaming ≥ 1.5 × ${bars.stream ? 'met' : 'NOT met'},`,
      `p99 ≤ Debezium's ${bars.p99 ? 'met' : 'NOT met'}.`,
      '',
      ...gainsAndLosses(
        o,
        [d, t].reduce((a, b) => (b.streamRate > a.streamRate ? b : a)),
      ),
    ].join('\n');
    const summary = {
      rows: ROWS,
      stream_events: STREAM_EVENTS,
      results,
      bar_snapshot_met: bars.snapshot,
      bar_stream_met: bars.stream,
      bar_p99_met: bars.p99,
      load_avg_before: round(loadBefore, 2),
      load_avg_after: round(loadAfter, 2),
    };
    console.log(markdown);
    if (env.BENCH_NO_PUBLISH) {
      console.log(JSON.stringify(summary));
      return;
    }
    await publishBenchmark({
      id: 'cdc-debezium',
      title: 'CDC: cdc/connector beside real Debezium',
      command: 'npm run bench:cdc:debezium',
      markdown,
      summary,
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
    await kafkaCluster.stop();
    await conn.end().catch(() => undefined);
    await root.query(`DROP DATABASE IF EXISTS \`${dbName}\``).catch(() => undefined);
    await root.end().catch(() => undefined);
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
