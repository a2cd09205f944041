import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mysqlCallback from 'mysql2';
import mysql from 'mysql2/promise';
import { startTestBroker } from '../../cdc/broker/test-broker.ts';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { withDatabase } from '../../lib/database/url.ts';
import { freePort, waitFor } from '../../lib/net.ts';
import { commitToKafkaLatency, loadProducts, wallNow } from './cdc-workload.ts';
import { processCpuSeconds } from './proc-cpu.ts';
import { publishBenchmark } from './report.ts';

/**
 * `npm run bench:cdc`: the connector (cdc/connector, its own process) between the private
 * MariaDB and the embedded broker (its own process), with Debezium's defaults (JSON with
 * schemas, tombstones, acks from the broker before offsets move).
 *
 * 1. Snapshot of a 1M-row shop-like `products` table: rows/s until every `r` event is in
 *    Kafka; reference in the same run: a plain mysql2 streaming SELECT of the same table.
 * 2. Sustained streaming: bulk UPDATEs (10k rows each) → events/s until all are in Kafka.
 * 3. Commit → event-in-Kafka latency at 1k and 5k row changes/s: every 10 ms one UPDATE of
 *    rate/100 rows stamps its tick in `stock`; a kafkajs consumer maps each event back to the
 *    tick's commit time (when the client got the COMMIT's OK).
 */
const env = process.env;
const ROWS = Number(env.BENCH_ROWS ?? 1_000_000);
const STREAM_EVENTS = Number(env.BENCH_STREAM_EVENTS ?? 200_000);
const LATENCY_SECONDS = Number(env.BENCH_LATENCY_SECONDS ?? 10);
const PREFIX = 'bench';

const round = (n: number, digits = 0) => Number(n.toFixed(digits));

async function selectRowsPerSecond(url: string): Promise<number> {
  const conn = mysqlCallback.createConnection({ uri: url, supportBigNumbers: true, bigNumberStrings: true });
  const started = wallNow();
  let n = 0;
  await new Promise<void>((resolve, reject) => {
    conn
      .query('SELECT * FROM products')
      .stream({ highWaterMark: 2000 })
      .on('data', () => n++)
      .on('end', resolve)
      .on('error', reject);
  });
  const seconds = (wallNow() - started) / 1000;
  await new Promise((r) => conn.end(r));
  return n / seconds;
}

interface Status {
  state: string;
  snapshot: { running: boolean; rowsDone: number; rowsTotal: number; completed: boolean };
  eventsTotal: number;
}

async function main() {
  const loadBefore = os.loadavg()[0]!;
  const server = await resolveServerUrl();
  const dbName = `bench_cdc_${process.pid}`;
  const root = await mysql.createConnection(server.url);
  await root.query(`DROP DATABASE IF EXISTS \`${dbName}\``);
  await root.query(`CREATE DATABASE \`${dbName}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
  const dbUrl = withDatabase(server.url, dbName);
  const conn = await mysql.createConnection({ uri: dbUrl, multipleStatements: true });
  const broker = await startTestBroker();
  const offsetsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-cdc-offsets-'));
  let connector: ComponentProcess | undefined;
  const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING, clientId: 'bench-cdc' });
  const admin = kafka.admin();
  const topic = `${PREFIX}.${dbName}.products`;
  try {
    console.error(`loading ${ROWS} rows into ${dbName}.products …`);
    const loadStart = wallNow();
    await loadProducts(conn, ROWS);
    const loadSeconds = (wallNow() - loadStart) / 1000;
    const selectRate = await selectRowsPerSecond(dbUrl);
    console.error(
      `loaded in ${loadSeconds.toFixed(1)} s; plain SELECT reads ${Math.round(selectRate)} rows/s`,
    );

    await admin.connect();
    const inKafka = async () => {
      try {
        const offsets = await admin.fetchTopicOffsets(topic);
        return offsets.reduce((sum, p) => sum + Number(p.high), 0);
      } catch {
        return 0;
      }
    };

    // 1. Snapshot.
    const port = await freePort();
    const statusUrl = `http://127.0.0.1:${port}/status`;
    const status = async () => (await (await fetch(statusUrl)).json()) as Status;
    const spawnedAt = wallNow();
    connector = await startComponent({
      name: 'connector',
      script: 'cdc/connector/main.ts',
      env: {
        MYSQL_URL: server.url,
        SHOP_DB: dbName,
        KAFKA_BROKERS: broker.brokers.join(','),
        CONNECTOR_PORT: String(port),
        CONNECTOR_SERVER_ID: String(1_000_000 + (process.pid % 1_000_000)),
        CONNECTOR_OFFSETS_DIR: offsetsDir,
        LOG_LEVEL: 'warn',
        CDC_TOPIC_PREFIX: PREFIX,
        CDC_TABLE_INCLUDE_LIST: `${dbName}.products`,
      },
      readyUrl: `http://127.0.0.1:${port}/health`,
      readyTimeoutMs: 120_000,
      // The young generation of `npm run connector` and npm start; more flags, e.g. to profile it:
      // BENCH_CONNECTOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/cdc-prof".
      nodeArgs: [
        '--max-semi-space-size=64',
        ...(env.BENCH_CONNECTOR_NODE_ARGS ?? '').split(' ').filter(Boolean),
      ],
    });
    const cpu = () => ({
      connector: processCpuSeconds(connector?.child.pid),
      broker: processCpuSeconds(broker.process.child.pid),
    });
    const cpuAtSpawn = cpu();
    const first = await status();
    const firstAt = wallNow();
    const rowsBefore = first.snapshot.rowsDone;
    await waitFor(
      'every snapshot row in Kafka',
      async () => {
        const n = await inKafka();
        if (n < ROWS) throw new Error(`${n}/${ROWS}`);
      },
      { timeoutMs: 900_000, intervalMs: 100 },
    );
    const snapshotDoneAt = wallNow();
    const cpuAfterSnapshot = cpu();
    // Rows the connector had already read when it first answered are not in the measured window.
    const snapshotRate = (ROWS - rowsBefore) / ((snapshotDoneAt - firstAt) / 1000);
    const snapshotFromSpawn = ROWS / ((snapshotDoneAt - spawnedAt) / 1000);
    await waitFor(
      'streaming',
      async () => {
        const s = await status();
        if (s.state !== 'streaming') throw new Error(s.state);
      },
      { timeoutMs: 60_000, intervalMs: 100 },
    );
    console.error(
      `snapshot: ${Math.round(snapshotRate)} rows/s (${Math.round(snapshotFromSpawn)} from process spawn)`,
    );

    // 2. Sustained streaming.
    const base = await inKafka();
    const perStatement = 10_000;
    const streamStart = wallNow();
    const cpuBeforeStream = cpu();
    for (let done = 0; done < STREAM_EVENTS; done += perStatement) {
      const from = 1 + (done % ROWS);
      await conn.query('UPDATE products SET stock = stock + 1 WHERE id BETWEEN ? AND ?', [
        from,
        from + perStatement - 1,
      ]);
    }
    const writesDoneAt = wallNow();
    await waitFor(
      'every streamed event in Kafka',
      async () => {
        const n = (await inKafka()) - base;
        if (n < STREAM_EVENTS) throw new Error(`${n}/${STREAM_EVENTS}`);
      },
      { timeoutMs: 600_000, intervalMs: 50 },
    );
    const streamDoneAt = wallNow();
    const cpuAfterStream = cpu();
    const perEventUs = (a: number, b: number, n: number) => round(((b - a) * 1e6) / n, 1);
    const cpuPerEvent = {
      snapshotConnector: perEventUs(cpuAtSpawn.connector, cpuAfterSnapshot.connector, ROWS - rowsBefore),
      snapshotBroker: perEventUs(cpuAtSpawn.broker, cpuAfterSnapshot.broker, ROWS - rowsBefore),
      streamConnector: perEventUs(cpuBeforeStream.connector, cpuAfterStream.connector, STREAM_EVENTS),
      streamBroker: perEventUs(cpuBeforeStream.broker, cpuAfterStream.broker, STREAM_EVENTS),
    };
    const streamRate = STREAM_EVENTS / ((streamDoneAt - streamStart) / 1000);
    const writeRate = STREAM_EVENTS / ((writesDoneAt - streamStart) / 1000);
    console.error(
      `streaming: ${Math.round(streamRate)} events/s (the database wrote ${Math.round(writeRate)} rows/s)`,
    );

    // 3. Latency.
    const latency = (rate: number) =>
      commitToKafkaLatency({ kafka, topic, dbUrl, rows: ROWS, rate, seconds: LATENCY_SECONDS });
    const at1k = await latency(1000);
    console.error(`latency at 1k/s: p50 ${at1k.p50} ms, p99 ${at1k.p99} ms`);
    const at5k = await latency(5000);
    console.error(`latency at 5k/s: p50 ${at5k.p50} ms, p99 ${at5k.p99} ms`);

    const loadAfter = os.loadavg()[0]!;
    const summary = {
      snapshot_rows_per_s: round(snapshotRate),
      snapshot_rows_per_s_from_spawn: round(snapshotFromSpawn),
      select_rows_per_s: round(selectRate),
      snapshot_vs_select_ratio: round(snapshotRate / selectRate, 2),
      stream_events_per_s: round(streamRate),
      p50_ms_commit_to_kafka_at_1k: at1k.p50,
      p99_ms_commit_to_kafka_at_1k: at1k.p99,
      p50_ms_commit_to_kafka_at_5k: at5k.p50,
      p99_ms_commit_to_kafka_at_5k: at5k.p99,
      bar_snapshot_met: snapshotRate >= 50_000,
      bar_stream_met: streamRate >= 10_000,
      bar_latency_met: at1k.p99 <= 100,
      connector_cpu_us_per_snapshot_row: cpuPerEvent.snapshotConnector,
      connector_cpu_us_per_stream_event: cpuPerEvent.streamConnector,
      rows: ROWS,
      load_avg_before: round(loadBefore, 2),
      load_avg_after: round(loadAfter, 2),
    };
    const markdown = [
      `\`products\` (BIGINT key, 10 columns incl. DECIMAL, JSON, DATETIME(3), TIMESTAMP(3)), ${ROWS} rows, loaded in`,
      `${loadSeconds.toFixed(1)} s with server-side multi-row INSERT … SELECT. Connector, broker and MariaDB each in their own`,
      'process on the same 2-core machine (shared with other work, so figures are noisy); JSON with schemas (Debezium defaults),',
      "gzip batches (the connector's default `compression.type`), connector run as `npm run connector` (--max-semi-space-size=64),",
      'broker acks=-1 with fdatasync. No real Debezium runs here (no JVM): the references are fixed bars (below) and, for the',
      'snapshot, a plain mysql2 streaming `SELECT *` of the same table in the same run.',
      `1-min load average before/after: ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)} (other work shares the machine).`,
      '',
      '| measure | result | reference | ratio |',
      '| --- | --- | --- | --- |',
      `| snapshot rows/s (until every \`r\` event is in Kafka) | ${round(snapshotRate)} | bar ≥ 50,000 | ${round(snapshotRate / 50_000, 2)} |`,
      `| snapshot rows/s vs plain SELECT | ${round(snapshotRate)} | SELECT ${round(selectRate)} rows/s | ${round(snapshotRate / selectRate, 2)} |`,
      `| streaming events/s (${STREAM_EVENTS} updates, 10k-row statements) | ${round(streamRate)} | bar ≥ 10,000 | ${round(streamRate / 10_000, 2)} |`,
      `| commit → Kafka p99 at 1k changes/s | ${at1k.p99} ms | bar ≤ 100 ms | ${round(100 / at1k.p99, 2)} |`,
      '',
      `Snapshot from process spawn (tsx start included): ${round(snapshotFromSpawn)} rows/s. Streaming: the database wrote the`,
      `updates at ${round(writeRate)} rows/s; events/s is measured from the first UPDATE to the last event acknowledged.`,
      '',
      '| latency run | achieved changes/s | events received | p50 ms | p99 ms | max ms |',
      '| --- | --- | --- | --- | --- | --- |',
      ...[at1k, at5k].map(
        (r) =>
          `| ${r.rate}/s for ${LATENCY_SECONDS} s | ${r.achieved} | ${r.received}/${r.expected} | ${r.p50} | ${r.p99} | ${r.max} |`,
      ),
      '',
      'Latency = the consumer receiving the event − the writer getting the COMMIT OK (every 10 ms one UPDATE of rate/100 rows',
      'stamps its tick in `stock`).',
      '',
      `CPU per event (user + system, from /proc): connector ${cpuPerEvent.snapshotConnector} µs per snapshot row and`,
      `${cpuPerEvent.streamConnector} µs per streamed event; broker ${cpuPerEvent.snapshotBroker} / ${cpuPerEvent.streamBroker} µs.`,
      `At one full core, the connector's CPU alone caps the snapshot at ~${round(1e6 / cpuPerEvent.snapshotConnector)} rows/s`,
      `and streaming at ~${round(1e6 / cpuPerEvent.streamConnector)} events/s.`,
      '',
      `Bars: snapshot ${snapshotRate >= 50_000 ? 'met' : 'NOT met'}, streaming ${streamRate >= 10_000 ? 'met' : 'NOT met'},`,
      `p99 at 1k/s ${at1k.p99 <= 100 ? 'met' : 'NOT met'}.`,
    ].join('\n');
    // BENCH_NO_PUBLISH=1: a diagnostic run that leaves docs/benchmarks.md alone.
    if (env.BENCH_NO_PUBLISH) {
      console.log(markdown);
      console.log(JSON.stringify(summary));
      return;
    }
    await publishBenchmark({
      id: 'cdc',
      title: 'CDC connector (cdc/connector)',
      command: 'npm run bench:cdc',
      markdown,
      summary,
    });
  } finally {
    await admin.disconnect().catch(() => undefined);
    await connector?.stop('SIGTERM');
    await broker.stop();
    await conn.end().catch(() => undefined);
    await root.query(`DROP DATABASE IF EXISTS \`${dbName}\``).catch(() => undefined);
    await root.end().catch(() => undefined);
    await fs.rm(offsetsDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
