import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  decodeRecord,
  eventPosition,
  type Projection,
  ProjectionRunner,
  parseLosslessJson,
  positionColumnType,
  upsertNewer,
} from '../../cdc/consumer/index.ts';
import { freePort } from '../../lib/net.ts';
import { until, useConsumerRig } from './support.ts';

/**
 * The runner checks every event before it touches a row: forged and misrouted events (wrong
 * source db or table, a position the source server has not written, malformed shapes) are
 * produced with kafkajs to the real broker and consumed against a real MariaDB store, whose
 * binlog is the "source server" here. Each lands in the DLQ with its reason, the rows are
 * untouched, later real changes still apply, and an event at the source's newest position is
 * not a false positive. A source that cannot be reached holds the batch, never dead-letters it.
 */
const rig = useConsumerRig('validate');

interface Head {
  file: string;
  pos: number;
}

/** The source's current binlog end, after a real write (so the position is fresh). */
async function writeAndReadHead(): Promise<Head> {
  const conn = await mysql.createConnection(rig.db.url);
  try {
    await conn.query('CREATE TABLE IF NOT EXISTS scratch (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))');
    await conn.query('INSERT INTO scratch (v) VALUES (?)', [randomBytes(4).toString('hex')]);
    const [rows] = (await conn.query('SHOW MASTER STATUS')) as unknown as [
      { File: string; Position: number }[],
    ];
    return { file: rows[0]!.File, pos: Number(rows[0]!.Position) };
  } finally {
    await conn.end();
  }
}

interface Forge {
  op?: string;
  before?: Record<string, unknown> | null;
  after?: Record<string, unknown> | null;
  db?: string;
  table?: string;
  file?: string;
  pos?: number;
  row?: number;
  omit?: string[];
}

/** A schemaless Debezium envelope on a products topic; `omit` drops source fields. */
function event(id: number, name: unknown, price: unknown, at: Head, f: Forge = {}): string {
  const op = f.op ?? 'u';
  const row = { id, name, price };
  const source: Record<string, unknown> = {
    version: '3.4.0.Final',
    connector: 'mariadb',
    name: 'legacy',
    ts_ms: Date.now(),
    snapshot: 'false',
    db: f.db ?? 'shop',
    table: f.table ?? 'products',
    server_id: 1,
    gtid: null,
    file: f.file ?? at.file,
    pos: f.pos ?? at.pos,
    row: f.row ?? 0,
  };
  for (const k of f.omit ?? []) delete source[k];
  return JSON.stringify({
    before: f.before !== undefined ? f.before : op === 'd' ? row : null,
    after: f.after !== undefined ? f.after : op === 'd' ? null : row,
    source,
    op,
    ts_ms: Date.now(),
  });
}

const key = (id: number) => JSON.stringify({ id });

function productsProjection(topic: string, table: string): Projection {
  return {
    name: 'products',
    topics: [topic],
    // db and table come from the topic name (<prefix>.shop.products); the key and columns are declared
    sources: {
      [topic]: {
        key: ['id'],
        columns: { id: 'integer', name: { type: 'string', nullable: false }, price: 'decimal' },
      },
    },
    async handleBatch(events, trx) {
      await upsertNewer(
        trx,
        table,
        events.map((e) => {
          const row = (e.after ?? e.before)!;
          return {
            id: row.id,
            name: row.name,
            price: row.price,
            deleted: e.op === 'd' ? 1 : 0,
            src_pos: eventPosition(e),
          };
        }),
        { keyColumns: ['id'], positionColumn: 'src_pos' },
      );
    },
  };
}

async function setup(sourceUrl: string) {
  const suffix = randomBytes(3).toString('hex');
  const topic = `v${suffix}.shop.products`;
  const table = `products_${suffix}`;
  await rig.knex.schema.createTable(table, (t) => {
    t.integer('id').primary();
    t.string('name', 100);
    t.decimal('price', 10, 2);
    t.boolean('deleted').notNullable().defaultTo(false);
    t.specificType('src_pos', positionColumnType);
  });
  const admin = rig.kafka.admin();
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic, numPartitions: 1 },
      { topic: `${topic}.dlq`, numPartitions: 1 },
    ],
  });
  await admin.disconnect();
  const runner = new ProjectionRunner({
    brokers: rig.broker.brokers,
    groupId: `g-${topic}`,
    knex: rig.knex,
    projection: productsProjection(topic, table),
    retry: { baseMs: 50, capMs: 300 },
    sourceUrl,
  });
  return {
    topic,
    runner,
    send: (records: { key: string | null; value: string }[]) =>
      rig.producer.send({ topic, acks: -1, messages: records }),
    rows: () => rig.knex(table).orderBy('id').select('id', 'name', 'price', 'deleted', 'src_pos'),
    /** The store holds every offset below `nextOffset`. */
    applied: (nextOffset: number) =>
      until(`offset ${nextOffset} stored`, async () => {
        const row = await rig.knex('cdc_offsets').where({ topic }).first();
        return row !== undefined && Number(row.next_offset) >= nextOffset;
      }),
  };
}

async function readDlq(topic: string, count: number) {
  const letters: { offset: string; value: string; headers: Record<string, string> }[] = [];
  const reader = rig.kafka.consumer({ groupId: `dlq-${topic}-${randomBytes(2).toString('hex')}` });
  await reader.connect();
  await reader.subscribe({ topic: `${topic}.dlq`, fromBeginning: true });
  await reader.run({
    eachMessage: async ({ message }) => {
      const headers = Object.fromEntries(
        Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)]),
      );
      letters.push({ offset: headers['__connect.errors.offset']!, value: String(message.value), headers });
    },
  });
  try {
    await until(`${count} dead letters`, () => letters.length >= count);
  } finally {
    await reader.disconnect();
  }
  return letters.sort((a, b) => Number(a.offset) - Number(b.offset));
}

describe('validation before apply', () => {
  it('dead-letters forged and misrouted events with their reason, leaves rows untouched, applies later real changes', async () => {
    const t = await setup(rig.db.serverUrl);
    const start = await writeAndReadHead();
    await t.send([
      { key: key(1), value: event(1, 'mug', '12.30', start, { op: 'r', row: 1 }) },
      { key: key(2), value: event(2, 'cup', '0.99', start, { op: 'r', row: 2 }) },
    ]);
    await t.runner.start();
    try {
      await t.applied(2);
      const before = await t.rows();
      expect(before.map((r) => [r.id, r.name, r.price])).toEqual([
        [1, 'mug', '12.30'],
        [2, 'cup', '0.99'],
      ]);
      const real = await writeAndReadHead();
      const forged = [
        // offset 2: another table's row on the products topic
        { key: key(1), value: event(1, 'FORGED table', '1.00', real, { table: 'no_such_table' }) },
        // 3: another database's row
        { key: key(1), value: event(1, 'FORGED db', '1.00', real, { db: 'otherdb' }) },
        // 4: a binlog file the source has never written: it would pin the row for good
        { key: key(1), value: event(1, 'PINNED', '1.00', real, { file: 'binlog.999999', pos: 4 }) },
        // 5: the source's current file, far past its end
        { key: key(2), value: event(2, 'PINNED', '1.00', real, { pos: real.pos + 1_000_000_000 }) },
        // 6: the key names another row than the image
        { key: key(2), value: event(1, 'FORGED key', '1.00', real) },
        // 7: price is not a decimal
        { key: key(1), value: event(1, 'mug', 'abc', real) },
        // 8: name may not be null
        { key: key(1), value: event(1, null, '1.00', real) },
        // 9: a create carrying a before image
        { key: key(1), value: event(1, 'x', '1.00', real, { op: 'c', before: { id: 1 } }) },
        // 10: no binlog position
        { key: key(1), value: event(1, 'x', '1.00', real, { omit: ['file', 'pos'] }) },
        // 11: no source.table
        { key: key(1), value: event(1, 'x', '1.00', real, { omit: ['table'] }) },
        // 12: a key with other fields than the table's key columns
        { key: JSON.stringify({ id: 1, sku: 'a' }), value: event(1, 'x', '1.00', real) },
        // 13: a delete that also carries an after image
        { key: key(2), value: event(2, 'cup', '0.99', real, { op: 'd', after: { id: 2 } }) },
        // 14: a bare row, no envelope and no position: ordered by offset it would pin the row
        { key: key(1), value: JSON.stringify({ id: 1, name: 'PINNED bare', price: '1.00' }) },
      ];
      await t.send(forged);
      await t.applied(2 + forged.length);
      expect(await t.rows()).toEqual(before);
      expect(t.runner.counters.deadLettered).toBe(forged.length);
      expect(t.runner.counters.applied).toBe(2);
      expect(t.runner.counters.deadLetteredByReason).toEqual({
        CDC_ERR_EVENT_MISROUTED: 2,
        CDC_ERR_POSITION_AHEAD: 2,
        CDC_ERR_EVENT_KEY: 2,
        CDC_ERR_EVENT_TYPE: 2,
        CDC_ERR_EVENT_SHAPE: 5,
      });

      // Later real changes still land (no pin), at positions the source has really written.
      const later = await writeAndReadHead();
      await t.send([
        { key: key(1), value: event(1, 'mug v2', '13.00', later) },
        { key: key(2), value: event(2, 'cup v2', '1.10', later, { row: 1 }) },
      ]);
      await t.applied(2 + forged.length + 2);
      expect((await t.rows()).map((r) => [r.id, r.name, r.price, r.deleted])).toEqual([
        [1, 'mug v2', '13.00', 0],
        [2, 'cup v2', '1.10', 0],
      ]);
      expect(t.runner.storePosition()?.label).toMatch(new RegExp(`^${later.file}:${later.pos}`));

      const dlq = await readDlq(t.topic, forged.length);
      const reasons = dlq.map((l) => [
        Number(l.offset),
        l.headers['strangler.errors.code'],
        l.headers['strangler.errors.field'],
      ]);
      expect(reasons).toEqual([
        [2, 'CDC_ERR_EVENT_MISROUTED', 'source.table'],
        [3, 'CDC_ERR_EVENT_MISROUTED', 'source.db'],
        [4, 'CDC_ERR_POSITION_AHEAD', 'source.pos'],
        [5, 'CDC_ERR_POSITION_AHEAD', 'source.pos'],
        [6, 'CDC_ERR_EVENT_KEY', 'after.id'],
        [7, 'CDC_ERR_EVENT_TYPE', 'after.price'],
        [8, 'CDC_ERR_EVENT_TYPE', 'after.name'],
        [9, 'CDC_ERR_EVENT_SHAPE', 'before'],
        [10, 'CDC_ERR_EVENT_SHAPE', 'source.file'],
        [11, 'CDC_ERR_EVENT_SHAPE', 'source.table'],
        [12, 'CDC_ERR_EVENT_KEY', 'key'],
        [13, 'CDC_ERR_EVENT_SHAPE', 'after'],
        [14, 'CDC_ERR_EVENT_SHAPE', 'source.pos'],
      ]);
      // The reason names what was expected and what came.
      expect(dlq[0]!.headers).toMatchObject({
        'strangler.errors.expected': '"products"',
        'strangler.errors.actual': '"no_such_table"',
      });
      expect(dlq[1]!.headers).toMatchObject({
        'strangler.errors.expected': '"shop"',
        'strangler.errors.actual': '"otherdb"',
      });
      expect(dlq[2]!.headers['strangler.errors.actual']).toBe('binlog.999999:4');
      expect(dlq[2]!.headers['strangler.errors.expected']).toContain(`newest binlog is ${later.file}`);
      expect(dlq[5]!.headers).toMatchObject({ 'strangler.errors.actual': '"abc"' });
      // The record itself is kept as received.
      expect(dlq[2]!.value).toBe(forged[2]!.value);
    } finally {
      await t.runner.stop();
    }
  });

  it("applies an event at the source's newest position (asks the source once, then trusts its cache)", async () => {
    const t = await setup(rig.db.serverUrl);
    await t.runner.start();
    try {
      const first = await writeAndReadHead();
      await t.send([{ key: key(7), value: event(7, 'plate', '3.00', first, { op: 'c' }) }]);
      await t.applied(1);
      const reads = t.runner.counters.sourceChecks;
      expect(reads).toBeGreaterThanOrEqual(1);
      // At or below the cached head: no question to the source.
      await t.send([{ key: key(7), value: event(7, 'plate v1', '3.10', first, { row: 1 }) }]);
      await t.applied(2);
      expect(t.runner.counters.sourceChecks).toBe(reads);
      // The source wrote more: the event at its very end is newer than the cache, asked once, applied.
      const newest = await writeAndReadHead();
      expect(newest.pos).toBeGreaterThan(first.pos);
      await t.send([{ key: key(7), value: event(7, 'plate v2', '3.20', newest) }]);
      await t.applied(3);
      expect(t.runner.counters.sourceChecks).toBe(reads + 1);
      expect(await t.rows()).toMatchObject([{ id: 7, name: 'plate v2', price: '3.20' }]);
      expect(t.runner.counters.deadLettered).toBe(0);
    } finally {
      await t.runner.stop();
    }
  });

  it('still decodes and applies every documented sample (cdc/consumer/fixtures); only the poison ones are dead-lettered', async () => {
    const dir = path.join(import.meta.dirname, '../../cdc/consumer/fixtures');
    const tag = randomBytes(3).toString('hex');
    const samples = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.json'))
      .sort()
      .map((file) => {
        const f = parseLosslessJson(fs.readFileSync(path.join(dir, file), 'utf8')) as {
          record: { topic: string; key: unknown; value: unknown };
          expectError?: string;
        };
        const text = (v: unknown) =>
          v === null
            ? null
            : typeof v === 'string'
              ? v
              : JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `\u0001${x}` : x)).replace(
                  /"\\u0001(-?\d+)"/g,
                  '$1',
                );
        return { file, ...f, key: text(f.record.key), value: text(f.record.value) };
      })
      // data records only: the schema-change, heartbeat and transaction topics are not a table's
      .filter((s) => s.record.topic.split('.').length === 3);
    expect(samples.length).toBeGreaterThanOrEqual(16);
    const topicOf = (t: string) => `f${tag}${t.slice(t.indexOf('.'))}`;
    const topics = [...new Set(samples.map((s) => topicOf(s.record.topic)))];
    const admin = rig.kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: topics.flatMap((topic) => [{ topic }, { topic: `${topic}.dlq` }]) });
    await admin.disconnect();
    const handled: string[] = [];
    const runner = new ProjectionRunner({
      brokers: rig.broker.brokers,
      groupId: `g-f${tag}`,
      knex: rig.knex,
      // the samples come from other servers: their positions are not this source's (no sourceUrl)
      projection: {
        name: 'samples',
        topics,
        // some samples are unwrapped rows without add.fields: ordered by offset, declared so
        sources: Object.fromEntries(topics.map((topic) => [topic, { positions: 'offset' as const }])),
        tombstones: 'ignore',
        decode: { columnHints: { types: {}, spans: {} } },
        async handle(event) {
          handled.push(`${event.topic}@${event.offset}:${event.op}`);
        },
      },
    });
    for (const s of samples)
      await rig.producer.send({
        topic: topicOf(s.record.topic),
        acks: -1,
        messages: [{ key: s.key, value: s.value }],
      });
    await runner.start();
    try {
      const poison = samples.filter((s) => s.expectError);
      const data = samples.filter(
        (s) =>
          !s.expectError &&
          decodeRecord({ topic: s.record.topic, partition: 0, offset: '0', key: s.key, value: s.value })
            .kind === 'change',
      );
      await until('every sample handled or dead-lettered', () => {
        const c = runner.counters;
        return c.applied + c.deadLettered >= data.length + poison.length;
      });
      expect(runner.counters.deadLettered).toBe(poison.length);
      expect(runner.counters.applied).toBe(data.length);
      expect(Object.keys(runner.counters.deadLetteredByReason).sort()).toEqual(
        [...new Set(poison.map((p) => p.expectError!))].sort(),
      );
      expect(handled).toHaveLength(data.length);
    } finally {
      await runner.stop();
    }
  });

  describe('source unreachable', () => {
    let relay: net.Server | undefined;
    const sockets = new Set<net.Socket>();
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => (relay ? relay.close(r) : r(undefined)));
    });
    let port = 0;
    beforeAll(async () => {
      port = await freePort();
    });

    it('holds the batch while the source cannot answer, then applies it: nothing dead-lettered, nothing applied blind', async () => {
      const server = new URL(rig.db.serverUrl);
      // The runner reaches the source through a port where nothing listens yet.
      const via = new URL(rig.db.serverUrl);
      via.host = `127.0.0.1:${port}`;
      const t = await setup(via.toString());
      await t.runner.start();
      try {
        const head = await writeAndReadHead();
        await t.send([{ key: key(9), value: event(9, 'bowl', '5.00', head, { op: 'c' }) }]);
        await until('retrying against the unreachable source', () => t.runner.counters.retries >= 3);
        const lag = await t.runner.lag();
        expect(lag.lastError).toMatch(/binlog position/);
        expect(await t.rows()).toEqual([]);
        expect(t.runner.counters.deadLettered).toBe(0);
        // The source comes back (a relay to the real server opens on that port).
        const open = async () => {
          relay = net.createServer((client) => {
            const upstream = net.connect(Number(server.port), server.hostname);
            sockets.add(client).add(upstream);
            client.pipe(upstream).pipe(client);
            client.on('error', () => upstream.destroy());
            upstream.on('error', () => client.destroy());
          });
          await new Promise<void>((r) => relay!.listen(port, '127.0.0.1', () => r()));
        };
        await open();
        await t.applied(1);
        expect(await t.rows()).toMatchObject([{ id: 9, name: 'bowl', price: '5.00' }]);
        expect(t.runner.counters.deadLettered).toBe(0);

        // A blip mid-stream: the kept connection is cut and the port refuses. An event newer
        // than the last answer waits; one at or below it (nothing to ask) still applies.
        for (const sock of sockets) sock.destroy();
        sockets.clear();
        await new Promise((r) => relay!.close(r));
        await t.send([{ key: key(10), value: event(10, 'cup', '1.00', head, { op: 'c', row: 1 }) }]);
        await t.applied(2);
        const retries = t.runner.counters.retries;
        const newer = await writeAndReadHead();
        await t.send([{ key: key(9), value: event(9, 'bowl v2', '6.00', newer) }]);
        await until('holding through the blip', () => t.runner.counters.retries >= retries + 3);
        expect(await t.rows()).toMatchObject([
          { id: 9, name: 'bowl', price: '5.00' },
          { id: 10, name: 'cup' },
        ]);
        await open();
        await t.applied(3);
        expect(await t.rows()).toMatchObject([
          { id: 9, name: 'bowl v2', price: '6.00' },
          { id: 10, name: 'cup' },
        ]);
        expect(t.runner.counters.deadLettered).toBe(0);
      } finally {
        await t.runner.stop();
      }
    });
  });
});
