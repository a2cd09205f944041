import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { type ChangeEvent, type DecodedRecord, decodeRecord } from '../../cdc/consumer/envelope.ts';
import { type ConnectSchema, hint } from '../../cdc/consumer/logical-types.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  Collector,
  type ConnectorRun,
  connect,
  connectorEnv,
  envelope,
  envelopeFields,
  hasConnector,
  type JsonObject,
  keysInSchemaOrder,
  type Message,
  masterStatus,
  parse,
  randomPrefix,
  startConnector,
  waitStreaming,
} from './support.ts';
import { columns, DAY, type Mode, microTime, plain, spanRows, utc } from './type-columns.ts';

/**
 * Every type of Debezium's data type mappings, compared field by field — payload, value schema,
 * key, source block — with values worked out by hand from Debezium's documentation. Three
 * connectors read the same database: P with the defaults (decimal precise, bigint long, binary
 * bytes, schemas on), S with decimal string, bigint precise, binary base64, schema-less keys, no
 * tombstones and time.precision.mode=connect, N with the defaults but no schemas at all. Every
 * message of each is also run through cdc/consumer's decodeRecord and compared with the JS
 * values the inserted rows stand for (the consumer must read the connector's output).
 */

const rowSql = (id: number, row: 0 | 1 | 2) =>
  `(${columns.map((c) => (c.name === 'id' ? String(id) : c.sql[row])).join(', ')})`;
const expectedRow = (id: number, row: 0 | 1 | 2, mode: Mode): JsonObject =>
  Object.fromEntries(columns.map((c) => [c.name, c.name === 'id' ? id : c.value(row, mode)]));
const expectedFields = (mode: Mode) => columns.map((c) => ({ ...c.schema(mode), field: c.name }));
/** Columns a test decodes differently from `decoded` (e.g. with an extra column hint), per row. */
type DecodedOverrides = (row: 0 | 1 | 2) => Record<string, unknown>;
/** Ids 1–3 are the snapshot's rows R1–R3, 11–13 the streamed ones. */
const rowOf = (id: number) => ((id - 1) % 10) as 0 | 1 | 2;

/** A decoded image column by column (so a failure names the column), then its column order. */
function expectImage(
  actual: Record<string, unknown> | null,
  expected: Record<string, unknown> | null,
  where: string,
) {
  if (expected === null) {
    expect({ where, image: actual }).toEqual({ where, image: null });
    return;
  }
  expect(actual, where).not.toBeNull();
  for (const [column, value] of Object.entries(expected))
    expect({ where, column, value: actual![column] }).toEqual({ where, column, value });
  expect(Object.keys(actual!)).toEqual(Object.keys(expected));
}

const expectedDecoded = (id: number, row: 0 | 1 | 2, mode: Mode): Record<string, unknown> =>
  Object.fromEntries(columns.map((c) => [c.name, c.name === 'id' ? id : (c.decoded ?? c.value)(row, mode)]));

let db: TestDatabase;
let broker: TestBroker;
let conn: mysql.Connection;
let collector: Collector;
let p: ConnectorRun;
let s: ConnectorRun;
const P = randomPrefix('tp');
const S = randomPrefix('ts');
/** Defaults, but JsonConverter without schemas for keys and values: decoded with column hints. */
let n: ConnectorRun;
const N = randomPrefix('tn');
let before: { file: string; pos: number };
let afterSnapshot: { file: string; pos: number };
const startedAt = Date.now();

/** Binlog files compare by their numeric suffix, then position. */
const binlogOrder = (a: { file: string; pos: number }, b: { file: string; pos: number }) => {
  const n = (f: string) => Number(/(\d+)$/.exec(f)?.[1] ?? -1);
  return n(a.file) - n(b.file) || a.pos - b.pos;
};

const sourceSchema = {
  type: 'struct',
  fields: [
    { type: 'string', optional: false, field: 'version' },
    { type: 'string', optional: false, field: 'connector' },
    { type: 'string', optional: false, field: 'name' },
    { type: 'int64', optional: false, field: 'ts_ms' },
    {
      type: 'string',
      optional: true,
      name: 'io.debezium.data.Enum',
      version: 1,
      parameters: {
        allowed: 'true,first,first_in_data_collection,last_in_data_collection,last,false,incremental',
      },
      default: 'false',
      field: 'snapshot',
    },
    { type: 'string', optional: false, field: 'db' },
    { type: 'string', optional: true, field: 'sequence' },
    { type: 'int64', optional: true, field: 'ts_us' },
    { type: 'int64', optional: true, field: 'ts_ns' },
    { type: 'string', optional: true, field: 'table' },
    { type: 'int64', optional: false, field: 'server_id' },
    { type: 'string', optional: true, field: 'gtid' },
    { type: 'string', optional: false, field: 'file' },
    { type: 'int64', optional: false, field: 'pos' },
    { type: 'int32', optional: false, field: 'row' },
    { type: 'int64', optional: true, field: 'thread' },
    { type: 'string', optional: true, field: 'query' },
  ],
  optional: false,
  name: 'io.debezium.connector.mariadb.Source',
  version: 1,
  field: 'source',
};

const envelopeSchema = (prefix: string, table: string, valueFields: JsonObject[]) => {
  const value = (field: string) => ({
    type: 'struct',
    fields: valueFields,
    optional: true,
    name: `${prefix}.${db.name}.${table}.Value`,
    field,
  });
  return {
    type: 'struct',
    fields: [
      value('before'),
      value('after'),
      sourceSchema,
      {
        type: 'struct',
        fields: [
          { type: 'string', optional: false, field: 'id' },
          { type: 'int64', optional: false, field: 'total_order' },
          { type: 'int64', optional: false, field: 'data_collection_order' },
        ],
        optional: true,
        name: 'event.block',
        version: 1,
        field: 'transaction',
      },
      { type: 'string', optional: false, field: 'op' },
      { type: 'int64', optional: true, field: 'ts_ms' },
      { type: 'int64', optional: true, field: 'ts_us' },
      { type: 'int64', optional: true, field: 'ts_ns' },
    ],
    optional: false,
    name: `${prefix}.${db.name}.${table}.Envelope`,
    version: 2,
  };
};

const keyText = (prefix: string, table: string, id: number) =>
  `{"schema":{"type":"struct","fields":[{"type":"int32","optional":false,"field":"id"}],"optional":false,"name":"${prefix}.${db.name}.${table}.Key"},"payload":{"id":${id}}}`;

const topic = (prefix: string, table: string) => `${prefix}.${db.name}.${table}`;
const idOf = (m: Message, keySchemas = true) => {
  const k = parse(m.key!) as JsonObject;
  return Number((keySchemas ? (k.payload as JsonObject) : k).id);
};

/** The writes streamed after the snapshot, with what the server says about each. */
interface Write {
  gtid: string;
  before: { file: string; pos: number };
  after: { file: string; pos: number };
  atMs: number;
}
const writes: Record<'insert' | 'multi' | 'update' | 'delete', Write> = {} as never;

async function write(kind: keyof typeof writes, sql: string) {
  const beforeWrite = await masterStatus(conn);
  await conn.query(sql);
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT @@last_gtid AS g');
  writes[kind] = {
    gtid: String(rows[0]!.g),
    before: beforeWrite,
    after: await masterStatus(conn),
    atMs: Date.now(),
  };
}

describe.skipIf(!hasConnector)('connector: every type of the reference mapping', () => {
  beforeAll(async () => {
    [db, broker] = await Promise.all([createTestDatabase('cdctypes'), startTestBroker()]);
    conn = await connect(db.url);
    await conn.query(
      `CREATE TABLE a_types (${columns.map((c) => `\`${c.name}\` ${c.ddl}`).join(', ')}) CHARACTER SET utf8mb4`,
    );
    await conn.query('CREATE TABLE b_tail (id INT NOT NULL PRIMARY KEY, v VARCHAR(10) NULL)');
    await conn.query(`INSERT INTO a_types VALUES ${rowSql(1, 0)}, ${rowSql(2, 1)}, ${rowSql(3, 2)}`);
    await conn.query("INSERT INTO b_tail VALUES (1, 'x'), (2, 'y')");
    collector = await Collector.start(broker, [
      topic(P, 'a_types'),
      topic(P, 'b_tail'),
      topic(S, 'a_types'),
      topic(N, 'a_types'),
      topic(P, 'c_spans'),
      topic(N, 'c_spans'),
    ]);
    before = await masterStatus(conn);
    const [envP, envS, envN] = await Promise.all([
      connectorEnv({ db, broker, prefix: P }),
      connectorEnv({
        db,
        broker,
        prefix: S,
        extra: {
          CDC_TABLE_INCLUDE_LIST: `${db.name}.a_types`,
          CDC_DECIMAL_HANDLING_MODE: 'string',
          CDC_BIGINT_UNSIGNED_HANDLING_MODE: 'precise',
          CDC_BINARY_HANDLING_MODE: 'base64',
          CDC_KEY_CONVERTER_SCHEMAS_ENABLE: 'false',
          CDC_TOMBSTONES_ON_DELETE: 'false',
          CDC_TIME_PRECISION_MODE: 'connect',
        },
      }),
      connectorEnv({
        db,
        broker,
        prefix: N,
        extra: {
          CDC_TABLE_INCLUDE_LIST: `${db.name}\\.(a_types|c_spans)`,
          CDC_KEY_CONVERTER_SCHEMAS_ENABLE: 'false',
          CDC_VALUE_CONVERTER_SCHEMAS_ENABLE: 'false',
        },
      }),
    ]);
    [p, s, n] = await Promise.all([startConnector(envP), startConnector(envS), startConnector(envN)]);
    await Promise.all([waitStreaming(p), waitStreaming(s), waitStreaming(n)]);
    afterSnapshot = await masterStatus(conn);
    await collector.until('the snapshot of every connector', () => {
      return collector.on(topic(P, 'a_types')).length >= 3 &&
        collector.on(topic(P, 'b_tail')).length >= 2 &&
        collector.on(topic(S, 'a_types')).length >= 3 &&
        collector.on(topic(N, 'a_types')).length >= 3
        ? true
        : undefined;
    });
    await write('insert', `INSERT INTO a_types VALUES ${rowSql(11, 0)}`);
    await write('multi', `INSERT INTO a_types VALUES ${rowSql(12, 1)}, ${rowSql(13, 2)}`);
    await write('update', "UPDATE a_types SET c_dec = 1.99, c_text = 'updated ✓' WHERE id = 11");
    await write('delete', 'DELETE FROM a_types WHERE id = 11');
    await conn.query('CREATE TABLE c_spans (id INT NOT NULL PRIMARY KEY, t0 TIME NULL, t6 TIME(6) NULL)');
    await conn.query(
      `INSERT INTO c_spans VALUES ${spanRows.map((r) => `(${r.id}, ${r.sql.join(', ')})`).join(', ')}`,
    );
    await collector.until(
      'the streamed events of P (c, c, c, u, d, tombstone)',
      () => collector.on(topic(P, 'a_types')).length >= 9 || undefined,
    );
    await collector.until(
      'the streamed events of S',
      () => collector.on(topic(S, 'a_types')).length >= 8 || undefined,
    );
    await collector.until(
      'the streamed events of N (c, c, c, u, d, tombstone)',
      () => collector.on(topic(N, 'a_types')).length >= 9 || undefined,
    );
    await collector.until(
      'the c_spans rows of P and N',
      () =>
        (collector.on(topic(P, 'c_spans')).length >= 3 && collector.on(topic(N, 'c_spans')).length >= 3) ||
        undefined,
    );
  });

  afterAll(async () => {
    await collector?.stop();
    await Promise.all([p?.stop(), s?.stop(), n?.stop()]);
    await conn?.end();
    await broker?.stop();
    await db?.drop();
  });

  const snapshotEvents = (prefix: string, table: string) =>
    collector.on(topic(prefix, table)).filter((m) => m.value !== null && envelope(m).payload.op === 'r');

  it('snapshot: op r with every value as documented, and the exact key', () => {
    const events = snapshotEvents(P, 'a_types');
    expect(events.map((m) => idOf(m)).sort()).toEqual([1, 2, 3]);
    for (const m of events) {
      const id = idOf(m);
      expect(m.key).toBe(keyText(P, 'a_types', id));
      const { payload } = envelope(m);
      expect(Object.keys(payload)).toEqual(envelopeFields);
      expect(payload.before).toBeNull();
      expect(payload.transaction).toBeNull();
      const expected = expectedRow(id, (id - 1) as 0 | 1 | 2, 'default');
      const after = payload.after as JsonObject;
      for (const c of columns)
        expect({ column: c.name, value: after[c.name] }).toEqual({ column: c.name, value: expected[c.name] });
      expect(Object.keys(after)).toEqual(columns.map((c) => c.name));
    }
  });

  it('snapshot: source block (server_id 0, no gtid/thread, one file/pos) and the markers in table order', () => {
    const a = snapshotEvents(P, 'a_types');
    const b = snapshotEvents(P, 'b_tail');
    const all = [...a, ...b];
    const positions = new Set(
      all.map((m) => {
        const src = envelope(m).payload.source as JsonObject;
        return `${src.file}:${src.pos}`;
      }),
    );
    expect(positions.size).toBe(1);
    const first = envelope(a[0]!).payload.source as JsonObject;
    const at = { file: String(first.file), pos: Number(first.pos) };
    expect(at.file).toMatch(/^binlog\.\d{6}$/);
    expect(binlogOrder(at, before)).toBeGreaterThanOrEqual(0);
    expect(binlogOrder(at, afterSnapshot)).toBeLessThanOrEqual(0);
    for (const m of all) {
      const src = envelope(m).payload.source as JsonObject;
      const table = m.topic.endsWith('.a_types') ? 'a_types' : 'b_tail';
      expect(Object.keys(src)).toEqual(sourceSchema.fields.map((f) => f.field));
      expect(src).toMatchObject({
        version: '3.4.0.Final',
        connector: 'mariadb',
        name: P,
        db: db.name,
        sequence: null,
        table,
        server_id: 0,
        gtid: null,
        file: at.file,
        pos: at.pos,
        row: 0,
        thread: null,
        query: null,
      });
      expect(typeof src.ts_ms).toBe('number');
      expect(Number(src.ts_ms)).toBeGreaterThan(startedAt - 5000);
      expect(Math.floor(Number(src.ts_us) / 1000)).toBe(src.ts_ms);
      expect(BigInt(src.ts_ns as number | bigint)).toBe(BigInt(src.ts_us as number) * 1000n);
    }
    // Snapshot order: a_types (3 rows) then b_tail (2 rows), sorted by table id.
    const markers = Object.fromEntries(
      all.map((m) => [
        `${m.topic.endsWith('.a_types') ? 'a' : 'b'}${idOf(m)}`,
        (envelope(m).payload.source as JsonObject).snapshot,
      ]),
    );
    expect(markers).toEqual({
      a1: 'first',
      a2: 'true',
      a3: 'last_in_data_collection',
      b1: 'first_in_data_collection',
      b2: 'last',
    });
  });

  it('value schema: envelope, Value struct field by field, Source, transaction block (JsonConverter key order)', () => {
    const m = snapshotEvents(P, 'a_types')[0]!;
    const { schema } = envelope(m);
    const expected = envelopeSchema(P, 'a_types', expectedFields('default'));
    const valueFields = ((schema.fields as JsonObject[])[1]!.fields ?? []) as JsonObject[];
    expect(valueFields.map((f) => f.field)).toEqual(columns.map((c) => c.name));
    for (const [i, f] of expectedFields('default').entries()) {
      expect(valueFields[i]).toEqual(f);
      expect(JSON.stringify(valueFields[i])).toBe(JSON.stringify(f));
    }
    expect(schema).toEqual(expected);
    // Byte-exact: the same object in the same key order prints the same compact JSON.
    expect(JSON.stringify(schema)).toBe(JSON.stringify(expected));
    const walk = (o: JsonObject) => {
      expect(keysInSchemaOrder(o)).toBe(true);
      for (const f of (o.fields as JsonObject[] | undefined) ?? []) walk(f);
    };
    walk(schema);
  });

  it('streaming: insert → c with the documented values and a full source block (server_id 1, gtid 0-1-N)', () => {
    const events = collector.on(topic(P, 'a_types')).filter((m) => m.key !== null && idOf(m) === 11);
    expect(events.map((m) => (m.value === null ? 'tombstone' : envelope(m).payload.op))).toEqual([
      'c',
      'u',
      'd',
      'tombstone',
    ]);
    for (const m of events) expect(m.key).toBe(keyText(P, 'a_types', 11));
    const c = envelope(events[0]!);
    expect(c.schema).toEqual(envelopeSchema(P, 'a_types', expectedFields('default')));
    expect(c.payload.before).toBeNull();
    expect(c.payload.after).toEqual(expectedRow(11, 0, 'default'));
    expect(Object.keys(c.payload.after as JsonObject)).toEqual(columns.map((x) => x.name));
    expect(c.payload.transaction).toBeNull();
    checkStreamSource(c.payload.source as JsonObject, writes.insert, 0);
    expect(Number(c.payload.ts_ms)).toBeGreaterThanOrEqual(Number((c.payload.source as JsonObject).ts_ms));
    expect(Number(c.payload.ts_ms)).toBeLessThanOrEqual(Date.now());
    expect(Math.floor(Number(c.payload.ts_us) / 1000)).toBe(c.payload.ts_ms);
    expect(BigInt(c.payload.ts_ns as bigint) / 1_000_000n).toBe(BigInt(c.payload.ts_ms as number));
  });

  it('streaming: a two-row INSERT → two c events sharing gtid and pos, row 0 and 1; NULLs and defaults', () => {
    const byId = (id: number) =>
      collector.on(topic(P, 'a_types')).filter((m) => m.key !== null && m.value !== null && idOf(m) === id);
    const [e12] = byId(12).filter((m) => envelope(m).payload.op === 'c');
    const [e13] = byId(13).filter((m) => envelope(m).payload.op === 'c');
    expect(envelope(e12!).payload.after).toEqual(expectedRow(12, 1, 'default'));
    expect(envelope(e13!).payload.after).toEqual(expectedRow(13, 2, 'default'));
    checkStreamSource(envelope(e12!).payload.source as JsonObject, writes.multi, 0);
    checkStreamSource(envelope(e13!).payload.source as JsonObject, writes.multi, 1);
    expect((envelope(e12!).payload.source as JsonObject).pos).toBe(
      (envelope(e13!).payload.source as JsonObject).pos,
    );
  });

  it('streaming: update → u with both images; delete → d then a Kafka-null tombstone under the same key', () => {
    const events = collector.on(topic(P, 'a_types')).filter((m) => m.key !== null && idOf(m) === 11);
    const u = envelope(events[1]!).payload;
    const updated = { ...expectedRow(11, 0, 'default'), c_dec: 'AMc=', c_text: 'updated ✓' };
    expect(u.before).toEqual(expectedRow(11, 0, 'default'));
    expect(u.after).toEqual(updated);
    checkStreamSource(u.source as JsonObject, writes.update, 0);
    const d = envelope(events[2]!).payload;
    expect(d.before).toEqual(updated);
    expect(d.after).toBeNull();
    checkStreamSource(d.source as JsonObject, writes.delete, 0);
    expect(events[3]!.value).toBeNull();
    expect(events[3]!.partition).toBe(events[2]!.partition);
  });

  it('decimal.handling.mode=string, bigint.unsigned precise, binary base64, key without schema, table.include.list, no tombstones, time.precision.mode=connect', () => {
    const events = collector.on(topic(S, 'a_types'));
    expect(collector.messages.some((m) => m.topic === topic(S, 'b_tail'))).toBe(false);
    const snapshot = events.filter((m) => m.value !== null && envelope(m).payload.op === 'r');
    expect(snapshot.map((m) => idOf(m, false)).sort()).toEqual([1, 2, 3]);
    for (const m of snapshot) {
      const id = idOf(m, false);
      expect(m.key).toBe(`{"id":${id}}`);
      const { payload, schema } = envelope(m);
      expect(payload.after).toEqual(expectedRow(id, (id - 1) as 0 | 1 | 2, 'alt'));
      expect(JSON.stringify(schema)).toBe(
        JSON.stringify(envelopeSchema(S, 'a_types', expectedFields('alt'))),
      );
      // Single table: first … last.
      expect((payload.source as JsonObject).snapshot).toBe(id === 1 ? 'first' : id === 3 ? 'last' : 'true');
    }
    const streamed = events
      .filter((m) => m.value !== null && idOf(m, false) === 11)
      .map((m) => envelope(m).payload);
    expect(streamed.map((x) => x.op)).toEqual(['c', 'u', 'd']);
    // tombstones.on.delete=false: the d event only.
    expect(events.filter((m) => m.value === null)).toEqual([]);
    expect(streamed[0]!.after).toEqual(expectedRow(11, 0, 'alt'));
    expect((streamed[1]!.after as JsonObject).c_dec).toBe('1.99');
  });

  /**
   * Every message a connector wrote, through cdc/consumer's decodeRecord. Per key, the decoded
   * history (op, key, before/after as JS values, source position) must be what the inserted and
   * updated rows mean: the expectations come from the SQL literals (`decoded` above), never
   * from running the decoder.
   */
  function checkDecodedHistory(
    prefix: string,
    mode: Mode,
    options: { tombstones: boolean; hints?: Record<string, ConnectSchema>; overrides?: DecodedOverrides },
  ) {
    const decodeOptions = options.hints ? { columnHints: { a_types: options.hints } } : {};
    const row = (id: number, r: 0 | 1 | 2) => ({
      ...expectedDecoded(id, r, mode),
      ...options.overrides?.(r),
    });
    const updated = { ...row(11, 0), c_dec: '1.99', c_text: 'updated ✓' };
    type Step = {
      op: string;
      before?: Record<string, unknown> | null;
      after?: Record<string, unknown> | null;
    };
    const expected: Record<number, Step[]> = {
      1: [{ op: 'r', before: null, after: row(1, 0) }],
      2: [{ op: 'r', before: null, after: row(2, 1) }],
      3: [{ op: 'r', before: null, after: row(3, 2) }],
      11: [
        { op: 'c', before: null, after: row(11, 0) },
        { op: 'u', before: row(11, 0), after: updated },
        { op: 'd', before: updated, after: null },
        ...(options.tombstones ? [{ op: 'tombstone' }] : []),
      ],
      12: [{ op: 'c', before: null, after: row(12, 1) }],
      13: [{ op: 'c', before: null, after: row(13, 2) }],
    };
    const history = new Map<number, DecodedRecord[]>();
    for (const m of collector.on(topic(prefix, 'a_types'))) {
      const d = decodeRecord(m, decodeOptions);
      if (d.kind === 'ignored') throw new Error(`${m.topic}@${m.offset} ignored: ${d.reason}`);
      expect(d.table).toBe('a_types');
      const id = Number(d.key?.id);
      expect(d.key).toEqual({ id });
      history.set(id, [...(history.get(id) ?? []), d]);
    }
    expect([...history.keys()].sort((a, b) => a - b)).toEqual(Object.keys(expected).map(Number));
    for (const [id, steps] of Object.entries(expected)) {
      const got = history.get(Number(id))!;
      expect({ id, ops: got.map((d) => (d.kind === 'change' ? d.op : d.kind)) }).toEqual({
        id,
        ops: steps.map((x) => x.op),
      });
      for (const [i, step] of steps.entries()) {
        const d = got[i]!;
        if (d.kind !== 'change') continue;
        expectImage(d.before, step.before!, `${prefix} id ${id} ${step.op} before`);
        expectImage(d.after, step.after!, `${prefix} id ${id} ${step.op} after`);
        expect(d.db).toBe(db.name);
        expect(d.unwrapped).toBe(false);
      }
    }
    // Source positions: a snapshot read sorts before every streamed event, the streamed events of
    // one transaction by row, and id 11's c < u < d — what newer-wins relies on.
    const change = (id: number, op: string) =>
      history.get(id)!.find((d): d is ChangeEvent => d.kind === 'change' && d.op === op)!;
    const streamed = [change(11, 'c'), change(12, 'c'), change(13, 'c'), change(11, 'u'), change(11, 'd')];
    for (const id of [1, 2, 3]) {
      expect(change(id, 'r').position).toMatchObject({ snapshot: true, gtid: null });
      for (const later of streamed) expect(change(id, 'r').positionKey! < later.positionKey!).toBe(true);
    }
    expect(change(11, 'c').position).toMatchObject({ snapshot: false, gtid: writes.insert.gtid, row: 0 });
    expect(change(12, 'c').position).toMatchObject({ gtid: writes.multi.gtid, row: 0 });
    expect(change(13, 'c').position).toMatchObject({
      gtid: writes.multi.gtid,
      row: 1,
      pos: change(12, 'c').position!.pos,
    });
    expect(change(11, 'u').position).toMatchObject({ gtid: writes.update.gtid });
    expect(change(11, 'd').position).toMatchObject({ gtid: writes.delete.gtid });
    const keys = streamed.map((d) => d.positionKey!);
    expect([...keys].sort()).toEqual(keys);
    expect(new Set(keys).size).toBe(keys.length);
  }

  const rowId = (d: ReturnType<typeof decodeRecord>) =>
    d.kind === 'change' ? Number(d.key?.id) : Number.NaN;

  it('decodeRecord on the defaults (schemas, precise decimals, µs time, bytes): every event as the rows it carries', () => {
    checkDecodedHistory(P, 'default', { tombstones: true });
    // the two rows' keys may hash to different partitions: their order across them is not kept
    const tail = collector
      .on(topic(P, 'b_tail'))
      .map((m) => decodeRecord(m))
      .sort((x, y) => rowId(x) - rowId(y));
    expect(tail.map((d) => d.kind === 'change' && { op: d.op, key: d.key, after: d.after })).toEqual([
      { op: 'r', key: { id: 1 }, after: { id: 1, v: 'x' } },
      { op: 'r', key: { id: 2 }, after: { id: 2, v: 'y' } },
    ]);
  });

  it('decodeRecord on string decimals, precise bigint, base64 binary, connect time, schema-less keys', () => {
    checkDecodedHistory(S, 'alt', { tombstones: false });
  });

  it('value.converter.schemas.enable=false: the bare payload, decoded with column hints', () => {
    const events = collector.on(topic(N, 'a_types'));
    for (const m of events.filter((x) => x.value !== null)) {
      const payload = parse(m.value!) as JsonObject;
      expect(Object.keys(payload)).toEqual(envelopeFields);
      if (payload.op === 'r' || payload.op === 'c')
        expect(payload.after).toEqual(expectedRow(idOf(m, false), rowOf(idOf(m, false)), 'default'));
    }
    // Hints are the field schemas Debezium sends with schemas on (written from the reference
    // above), plus hint.json() where a projection knows a MariaDB LONGTEXT column holds JSON.
    const hints: Record<string, ConnectSchema> = {
      ...Object.fromEntries(columns.map((c) => [c.name, c.schema('default') as unknown as ConnectSchema])),
      c_json: hint.json(),
    };
    checkDecodedHistory(N, 'default', {
      tombstones: true,
      hints,
      overrides: (r) => ({ c_json: [{ a: 1, b: [true, null] }, null, []][r] }),
    });
    // Without hints nothing is guessed: the Decimal stays its base64 text, the Date its day count.
    const plainRead = decodeRecord(events.find((m) => m.value !== null && idOf(m, false) === 1)!);
    expect(plainRead.kind === 'change' && plainRead.after).toMatchObject({
      c_dec: 'B88=',
      c_date: utc(2024, 6, 3) / DAY,
    });
  });

  it('TIME as a duration: negative and ≥ 24 h values as signed MicroTime, decoded to MySQL-style text', () => {
    const hints = { t0: microTime as ConnectSchema, t6: microTime as ConnectSchema };
    for (const [prefix, schemas] of [
      [P, true],
      [N, false],
    ] as const) {
      const events = collector.on(topic(prefix, 'c_spans'));
      expect(events.map((m) => idOf(m, schemas)).sort()).toEqual([1, 2, 3]);
      for (const m of events) {
        const r = spanRows.find((x) => x.id === idOf(m, schemas))!;
        const raw = schemas ? envelope(m) : { schema: undefined, payload: parse(m.value!) as JsonObject };
        if (raw.schema) {
          const value = (raw.schema.fields as JsonObject[])[1]!;
          expect(value.fields).toEqual([
            { ...plain('int32', false), field: 'id' },
            { ...microTime, field: 't0' },
            { ...microTime, field: 't6' },
          ]);
        }
        expect(raw.payload.op).toBe('c');
        expect(raw.payload.after).toEqual({ id: r.id, t0: r.micros[0], t6: r.micros[1] });
        const d = decodeRecord(m, { columnHints: { c_spans: hints } });
        expect(d.kind === 'change' && d.after).toEqual({ id: r.id, t0: r.decoded[0], t6: r.decoded[1] });
      }
    }
  });

  it('/status: streaming, mariadb, snapshot completed, a position at or after the last write', async () => {
    const st = await p.status();
    expect(st).toMatchObject({ state: 'streaming', connector: 'mariadb' });
    expect(st.snapshot).toMatchObject({ running: false, completed: true, rowsDone: 5, rowsTotal: 5 });
    expect(st.eventsTotal).toBeGreaterThanOrEqual(10);
    expect(st.position.file).toMatch(/^binlog\.\d{6}$/);
    expect(binlogOrder(st.position, writes.delete.before)).toBeGreaterThan(0);
    // Either name is accepted for the GTID position; the connector serves it as `gtids` (docs/connector.md, Status).
    expect(String(st.position.gtid ?? st.position.gtids ?? '')).toMatch(/^0-1-\d+$/);
    expect(typeof st.lagMs).toBe('number');
    expect(st.lastEventTsMs).toBeGreaterThan(startedAt - 5000);
  });

  it('/metrics: the same figures as /status, as Prometheus text', async () => {
    // other suites write to the same server meanwhile: /status is read before and after
    const before = await p.status();
    const res = await fetch(`http://127.0.0.1:${p.port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    const after = await p.status();
    const value = (series: RegExp) => {
      const m = new RegExp(`^${series.source} (\\S+)$`, 'm').exec(text);
      if (!m) throw new Error(`no ${series.source} in:\n${text}`);
      return Number(m[1]);
    };
    const events = value(/strangler_connector_events_total/);
    expect(events).toBeGreaterThanOrEqual(before.eventsTotal);
    expect(events).toBeLessThanOrEqual(after.eventsTotal);
    expect(value(/strangler_connector_state\{state="streaming"\}/)).toBe(1);
    expect(value(/strangler_connector_state\{state="failed"\}/)).toBe(0);
    expect(
      value(/strangler_connector_binlog_position\{which="acknowledged",file="binlog\.\d{6}"\}/),
    ).toBeGreaterThan(0);
    expect(
      value(/strangler_connector_binlog_position\{which="server",file="binlog\.\d{6}"\}/),
    ).toBeGreaterThan(0);
    expect(value(/strangler_connector_snapshot_rows_done/)).toBe(5);
    expect(value(/strangler_connector_lag_seconds/)).toBeGreaterThanOrEqual(0);
  });

  it('records carry the Debezium context headers (Debezium 3.2.1+)', () => {
    const m = collector.on(topic(P, 'a_types'))[0]!;
    expect(m.headers['__debezium.context.connectorLogicalName']).toBe(P);
    expect(m.headers['__debezium.context.taskId']).toBe('0');
    expect(m.headers['__debezium.context.connectorName']).toBeTruthy();
  });
});

function checkStreamSource(src: JsonObject, w: Write, row: number) {
  expect(Object.keys(src)).toEqual(sourceSchema.fields.map((f) => f.field));
  expect(src).toMatchObject({
    version: '3.4.0.Final',
    connector: 'mariadb',
    name: P,
    snapshot: 'false',
    db: db.name,
    sequence: null,
    table: 'a_types',
    server_id: 1,
    gtid: w.gtid,
    row,
    // MariaDB writes no BEGIN query event (the GTID event opens the transaction), and the
    // thread id comes from that BEGIN: null here.
    thread: null,
    query: null,
  });
  expect(w.gtid).toMatch(/^0-1-\d+$/);
  // MariaDB: second resolution; ts_us/ts_ns the same instant.
  const ts = Number(src.ts_ms);
  expect(ts % 1000).toBe(0);
  expect(ts).toBeGreaterThanOrEqual(Math.floor((w.atMs - 2000) / 1000) * 1000);
  expect(ts).toBeLessThanOrEqual(w.atMs);
  expect(src.ts_us).toBe(ts * 1000);
  expect(BigInt(src.ts_ns as bigint)).toBe(BigInt(ts) * 1_000_000n);
  // The rows event starts between the master position before and after the write.
  const at = { file: String(src.file), pos: Number(src.pos) };
  expect(binlogOrder(at, w.before)).toBeGreaterThanOrEqual(0);
  expect(binlogOrder(at, w.after)).toBeLessThan(0);
}
