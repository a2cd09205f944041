import { performance } from 'node:perf_hooks';
import type { Kafka } from 'kafkajs';
import mysql from 'mysql2/promise';
import { waitFor } from '../../lib/net.ts';
import { percentile } from '../../lib/stats.ts';

/**
 * The CDC benches' table and writes (`npm run bench:cdc`, `npm run bench:cdc:debezium`): a
 * shop-like `products` table and commit → Kafka latency measured on it, the same for every tool
 * that captures it.
 */

const TICK_MS = 10;
export const wallNow = () => performance.timeOrigin + performance.now();
const round = (n: number, digits = 0) => Number(n.toFixed(digits));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `products` (BIGINT key, 10 columns incl. DECIMAL, JSON, DATETIME(3), TIMESTAMP(3)) with `rows` rows. */
export async function loadProducts(conn: mysql.Connection, rows: number): Promise<void> {
  await conn.query(`CREATE TABLE products (
    id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    sku VARCHAR(40) NOT NULL,
    name VARCHAR(200) NOT NULL,
    description TEXT NULL,
    price DECIMAL(10,2) NOT NULL,
    category VARCHAR(40) NOT NULL,
    stock INT NOT NULL DEFAULT 0,
    attributes JSON NULL,
    created_at DATETIME(3) NOT NULL,
    updated_at TIMESTAMP(3) NULL,
    UNIQUE KEY uk_sku (sku)
  ) CHARACTER SET utf8mb4`);
  // Multi-row inserts generated server-side (MariaDB's SEQUENCE engine), 100k rows a statement.
  const chunk = 100_000;
  for (let from = 1; from <= rows; from += chunk) {
    const to = Math.min(rows, from + chunk - 1);
    await conn.query(`INSERT INTO products (id, sku, name, description, price, category, stock, attributes, created_at, updated_at)
      SELECT seq, CONCAT('SKU-', seq), CONCAT('Product number ', seq),
        CONCAT('A sturdy everyday item, batch ', seq MOD 97, ', made to last.'),
        (seq MOD 10000) / 100 + 1, ELT(1 + seq MOD 5, 'kitchen', 'garden', 'toys', 'books', 'tools'),
        seq MOD 500, CONCAT('{"color": "c', seq MOD 12, '", "weight": ', seq MOD 900, '}'),
        '2024-01-01 00:00:00.000' + INTERVAL seq SECOND, '2024-06-01 00:00:00.000' + INTERVAL seq SECOND
      FROM seq_${from}_to_${to}`);
  }
}

export interface LatencyRun {
  rate: number;
  achieved: number;
  received: number;
  expected: number;
  p50: number;
  p99: number;
  max: number;
}

/**
 * Commit → event-in-Kafka latency at `rate` row changes/s for `seconds`: every 10 ms one UPDATE
 * of rate/100 rows stamps its tick in `stock`; a kafkajs consumer of `topic` (JSON with schemas)
 * maps each event back to the tick's commit time (when the client got the COMMIT's OK).
 */
export async function commitToKafkaLatency(options: {
  kafka: Kafka;
  topic: string;
  dbUrl: string;
  rows: number;
  rate: number;
  seconds: number;
}): Promise<LatencyRun> {
  const { kafka, topic, dbUrl, rate } = options;
  const perTick = Math.round((rate * TICK_MS) / 1000);
  const ticks = Math.round((options.seconds * 1000) / TICK_MS);
  // Stock values no load or earlier phase uses; unique per run so a second tool's run on the
  // same table never matches the first's events.
  const tickBase = 1_000_000 + rate * 10 + (Date.now() % 1000) * 100_000;
  const committed = new Map<number, number>();
  const samples: number[] = [];
  let received = 0;
  const consumer = kafka.consumer({ groupId: `bench-cdc-${rate}-${Date.now()}`, maxWaitTimeInMs: 50 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: false });
  let joined = false;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    joined = true;
  });
  const pending = new Map<number, number[]>();
  await consumer.run({
    eachMessage: async ({ message }) => {
      const now = wallNow();
      if (!message.value) return;
      const after = (
        JSON.parse(message.value.toString('utf8')) as { payload: { after: { stock: number } | null } }
      ).payload.after;
      if (!after || after.stock < tickBase || after.stock >= tickBase + ticks) return;
      const tick = after.stock - tickBase;
      received++;
      const at = committed.get(tick);
      if (at === undefined) pending.set(tick, [...(pending.get(tick) ?? []), now]);
      else samples.push(Math.max(0, now - at));
    },
  });
  await waitFor('consumer group join', async () => {
    if (!joined) throw new Error('not joined');
  });
  await sleep(1000); // partitions assigned and positioned at the end
  const conn2 = await mysql.createConnection(dbUrl);
  const started = performance.now();
  let offset = 0;
  for (let t = 0; t < ticks; t++) {
    const wait = started + t * TICK_MS - performance.now();
    if (wait > 0) await sleep(wait);
    const from = 1 + (offset % (options.rows - perTick));
    offset += perTick;
    await conn2.query('UPDATE products SET stock = ? WHERE id BETWEEN ? AND ?', [
      tickBase + t,
      from,
      from + perTick - 1,
    ]);
    const at = wallNow();
    committed.set(t, at);
    for (const early of pending.get(t) ?? []) samples.push(Math.max(0, early - at));
    pending.delete(t);
  }
  const achieved = (ticks * perTick) / ((performance.now() - started) / 1000);
  await conn2.end();
  await waitFor(
    `all ${ticks * perTick} latency events`,
    async () => {
      if (received < ticks * perTick) throw new Error(`${received}/${ticks * perTick}`);
    },
    { timeoutMs: 120_000, intervalMs: 50 },
  ).catch((err) => console.error(String(err)));
  await consumer.disconnect();
  const sorted = samples.sort((a, b) => a - b);
  return {
    rate,
    achieved: round(achieved),
    received,
    expected: ticks * perTick,
    p50: round(percentile(sorted, 50), 1),
    p99: round(percentile(sorted, 99), 1),
    max: round(sorted.at(-1) ?? Number.NaN, 1),
  };
}
