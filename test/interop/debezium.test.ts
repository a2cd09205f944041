import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type DecodedRecord, decodeRecord, parseLosslessJson } from '../../cdc/consumer/index.ts';
import { freePort } from '../../lib/net.ts';
import { type ConnectWorker, startConnect } from '../../scripts/interop/connect.ts';
import { debeziumConfig } from '../../scripts/interop/debezium.ts';
import { type KafkaCluster, startKafka } from '../../scripts/interop/kafka.ts';
import { type ConnectorRun, startConnector, waitStreaming } from '../connector/support.ts';
import { type Mode, spanRows, columns as typeTestColumns } from '../connector/type-columns.ts';
import { type Read, readTopics } from './support.ts';

/**
 * Real Debezium (Kafka Connect standalone, the MySQL connector, the JSON converter, configured
 * as docs/operations.md documents) and the toolkit's connector capture the same writes on the
 * same database into the same Kafka, each under its own topic prefix, in four pairs of the same
 * configuration: the defaults with transaction metadata and schema-change records, with and
 * without the JSON converter's schemas, and two pairs over the other decimal, binary, BIGINT
 * UNSIGNED and time modes. Every key, value schema and payload is compared field by field —
 * data topics, the transaction topic and the schema-change topic; the fields that differ are
 * listed in the pair's known differences with the reason, so a new difference fails this test
 * and so does a fixed one until its entry goes. One Kafka and one Connect for all of it.
 */

const table = 'items';
const columns = `id INT PRIMARY KEY, big BIGINT, name VARCHAR(40), price DECIMAL(10,2), ratio DOUBLE,
  flag TINYINT(1), born DATE, seen DATETIME(3), changed TIMESTAMP(6) NULL, note TEXT, kind ENUM('a','b')`;
const snapshotRows = [
  `(1, 9007199254740993, 'first', 12.50, 0.25, 1, '2024-02-29', '2024-03-01 10:11:12.345', '2024-03-01 10:11:12.123456', 'é😀', 'a')`,
  `(2, -5, NULL, 0.00, NULL, 0, '1970-01-01', '1999-12-31 23:59:59.999', NULL, '', 'b')`,
];

/** A second table with more types, changed in one transaction. */
const wide = 'wide';
const wideColumns = `id INT PRIMARY KEY, u16 SMALLINT UNSIGNED, mi MEDIUMINT, ubig BIGINT UNSIGNED, f FLOAT,
  dec0 DECIMAL(20,0), c CHAR(3), bin VARBINARY(8), blb BLOB, t TIME(6), y YEAR, bits BIT(5),
  tags SET('x','y','z'), doc JSON, dt0 DATETIME, ts0 TIMESTAMP NULL`;
const wideSnapshotRow = `(1, 65535, -8388608, 18446744073709551615, 1.5, 12345678901234567890, 'ab', x'00ff10',
  x'cafe', '-838:59:59.000000', 2155, b'10101', 'x,z', '{"a": [1, 2.5, "é"]}', '2020-02-02 02:02:02', '2021-01-01 00:00:01')`;
const wideStreamed = [
  `INSERT INTO ${wide} VALUES (2, 0, 0, 0, -0.125, 0, '', x'', x'', '00:00:00.000001', 1901, b'00000', '', 'null', '1000-01-01 00:00:00', NULL)`,
  `UPDATE ${wide} SET u16 = 1, doc = '{"b": true}', bits = b'11111', t = '838:59:59.999999' WHERE id = 1`,
];

/**
 * Every column of the connector's type test (test/connector/type-columns.ts), with its three
 * rows: snapshot ids 1–3, streamed 11 (insert, update, delete), 12 and 13 (one two-row insert).
 * MariaDB's own UUID, INET4 and INET6 are left out: Debezium's MySQL connector, the reference
 * here, cannot parse a table that has them (docs/connector.md says so).
 */
const mariadbOnly = new Set(['c_uuid', 'c_inet4', 'c_inet6', 'c_inet6_b']);
const typeColumns = typeTestColumns.filter((c) => !mariadbOnly.has(c.name));
const types = 'a_types';
const typeRow = (id: number, row: 0 | 1 | 2) =>
  `(${typeColumns.map((c) => (c.name === 'id' ? String(id) : c.sql[row])).join(', ')})`;
const typeUpdate = {
  sql: "c_dec = 1.99, c_text = 'updated ✓'",
  decoded: { c_dec: '1.99', c_text: 'updated ✓' },
};
/** TIME as a duration (negative, ≥ 24 h), created while streaming: a CREATE TABLE schema change. */
const spans = 'c_spans';

/**
 * Per run, by nature: when the event was made or read, and for snapshot records the binlog
 * position each connector's own snapshot was taken at.
 */
const perRunSnapshot = new Set(['value.source.file', 'value.source.pos']);
const perRun = new Set([
  'value.ts_ms',
  'value.ts_us',
  'value.ts_ns',
  'value.source.ts_ms',
  'value.source.ts_us',
  'value.source.ts_ns',
]);

type J = null | boolean | number | bigint | string | J[] | { [k: string]: J };

/** Paths where `a` (Debezium) and `b` (ours) differ, with both sides. */
function diff(a: J | undefined, b: J | undefined, at: string, out: Map<string, string>, snapshot: boolean) {
  // Paths without schemas (value.x) and with them (value.payload.x) name the same fields.
  const field = at.replace(/^value\.payload\./, 'value.');
  if (perRun.has(field) || (snapshot && perRunSnapshot.has(field))) return;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)]))
      diff(a[k], b[k], `${at}.${k}`, out, snapshot);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    // Schema field lists: compare by field name, so one extra field is one difference.
    const named = (x: J[]) =>
      x.every((f) => f && typeof f === 'object' && !Array.isArray(f) && typeof f.field === 'string');
    if (named(a) && named(b)) {
      const byName = (x: J[]) => new Map(x.map((f) => [(f as { field: string }).field, f]));
      const [ma, mb] = [byName(a), byName(b)];
      const order = (m: Map<string, J>) => [...m.keys()].join(',');
      if (order(ma) !== order(mb) && [...ma.keys()].sort().join() === [...mb.keys()].sort().join())
        out.set(`${at}[order]`, `debezium ${order(ma)} | ours ${order(mb)}`);
      for (const k of new Set([...ma.keys(), ...mb.keys()]))
        diff(ma.get(k), mb.get(k), `${at}[${k}]`, out, snapshot);
      return;
    }
    // Other arrays (tableChanges, columns, data_collections): element by element.
    if (a.length === b.length && a.some((x) => x && typeof x === 'object')) {
      // Named by their name (a column) where they have one.
      const label = (x: J | undefined, i: number) =>
        x && typeof x === 'object' && !Array.isArray(x) && typeof x.name === 'string' ? x.name : String(i);
      for (let i = 0; i < a.length; i++) diff(a[i], b[i], `${at}[${label(a[i], i)}]`, out, snapshot);
      return;
    }
  }
  const text = (x: J | undefined) =>
    x === undefined ? '(absent)' : JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v));
  if (text(a) !== text(b)) out.set(at, `debezium ${text(a)} | ours ${text(b)}`);
}

/** The message with its topic prefix replaced by `P`, parsed without losing int64 precision. */
function normalized(text: string | null, prefix: string): J {
  if (text === null) return null;
  return parseLosslessJson(
    text.replaceAll(`"${prefix}.`, '"P.').replaceAll(`"name":"${prefix}"`, '"name":"P"'),
  ) as J;
}

/** The payload of a record, whatever the converter's schemas setting. */
function payloadOf(r: Read, schemas: boolean): Record<string, J> | null {
  if (r.value === null) return null;
  const v = parseLosslessJson(r.value) as Record<string, J>;
  return (schemas ? v.payload : v) as Record<string, J> | null;
}

interface Pair {
  dbz: string;
  ours: string;
  /** value.converter.schemas.enable (and the key's unless keySchemas says otherwise). */
  schemas: boolean;
  keySchemas: boolean;
  tables: string[];
  tombstones: boolean;
  /** provide.transaction.metadata and include.schema.changes on. */
  metadata: boolean;
  /** The type test's mode whose decoded values Debezium's a_types records must decode to. */
  mode?: Mode;
  extra: Record<string, string>;
  known: Map<string, string>;
}

describe('real Debezium and cdc/connector, field by field', () => {
  let kafka: KafkaCluster;
  let connect: ConnectWorker | undefined;
  const ours: ConnectorRun[] = [];
  let conn: mysql.Connection;
  const db = `interop_${randomBytes(3).toString('hex')}`;
  const serverUrl = inject('interopMysqlUrl');

  const config = (pair: Pair, prefix: string) =>
    debeziumConfig({
      mysqlUrl: serverUrl,
      brokers: kafka.brokers,
      prefix,
      databases: [db],
      extra: {
        // One regular expression (not a list): c_spans does not exist yet when both start, and
        // cdc/connector refuses an include-list entry that matches no table.
        'table.include.list': `${db}\\.(${pair.tables.join('|')})`,
        ...(pair.schemas ? {} : { 'value.converter.schemas.enable': 'false' }),
        ...(pair.keySchemas ? {} : { 'key.converter.schemas.enable': 'false' }),
        ...(pair.tombstones ? {} : { 'tombstones.on.delete': 'false' }),
        ...(pair.metadata
          ? { 'provide.transaction.metadata': 'true', 'include.schema.changes': 'true' }
          : {}),
        ...pair.extra,
      },
    });

  beforeAll(async () => {
    conn = await mysql.createConnection({ uri: serverUrl, multipleStatements: true });
    await conn.query(`SET time_zone = '+00:00'`);
    await conn.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await conn.query(`CREATE TABLE \`${db}\`.${table} (${columns})`);
    await conn.query(`INSERT INTO \`${db}\`.${table} VALUES ${snapshotRows.join(',')}`);
    await conn.query(`CREATE TABLE \`${db}\`.${wide} (${wideColumns})`);
    await conn.query(`INSERT INTO \`${db}\`.${wide} VALUES ${wideSnapshotRow}`);
    await conn.query(
      `CREATE TABLE \`${db}\`.${types} (${typeColumns.map((c) => `\`${c.name}\` ${c.ddl}`).join(', ')}) CHARACTER SET utf8mb4`,
    );
    await conn.query(
      `INSERT INTO \`${db}\`.${types} VALUES ${typeRow(1, 0)}, ${typeRow(2, 1)}, ${typeRow(3, 2)}`,
    );
    // Empty at snapshot time, last in name order: the snapshot's last row is in another table.
    await conn.query(`CREATE TABLE \`${db}\`.zz_probe (id INT AUTO_INCREMENT PRIMARY KEY)`);
    kafka = await startKafka({ nodes: 1 });

    const startOurs = async (pair: Pair) => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'interop-ours-'));
      await fs.writeFile(
        path.join(dir, 'connector.json'),
        JSON.stringify({ name: pair.ours, config: config(pair, pair.ours) }),
      );
      const run = await startConnector({
        MYSQL_URL: serverUrl,
        KAFKA_BROKERS: kafka.brokers.join(','),
        CONNECTOR_PORT: String(await freePort()),
        CONNECTOR_OFFSETS_DIR: dir,
        CONNECTOR_CONFIG: path.join(dir, 'connector.json'),
        LOG_LEVEL: 'warn',
      });
      ours.push(run);
      await waitStreaming(run);
    };
    const [worker] = await Promise.all([
      startConnect({
        brokers: kafka.brokers,
        connectors: pairs.map((p) => ({ name: p.dbz, config: config(p, p.dbz) })),
        heapMb: 512,
      }),
      ...pairs.map((p) => startOurs(p)),
    ]);
    connect = worker;
    console.log(
      `kafka ready in ${kafka.startupMs.ready} ms; Connect + Debezium (${pairs.length} connectors) RUNNING in ${worker.startupMs} ms`,
    );
  });

  afterAll(async () => {
    await Promise.all(ours.map((o) => o.stop()));
    await connect?.stop();
    await kafka?.stop();
    await conn?.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await conn?.end();
  });

  it('every type, snapshot and streaming, deletes, tombstones, schema changes, transactions, both converters: every difference is a known one', async () => {
    const topic = (prefix: string, name: string) => `${prefix}.${db}.${name}`;
    const failed = Promise.race(pairs.map((p) => connect!.failure(p.dbz)));
    failed.catch(() => undefined);
    // Debezium's snapshot is a consistent read that begins some time after Connect reports it
    // RUNNING: a snapshot row of Debezium's says it began, so a probe row cannot be in it (it
    // would be in Debezium's snapshot and not in ours). cdc/connector's is over already.
    await Promise.race([
      failed,
      readTopics(
        kafka.brokers,
        pairs.map((p) => topic(p.dbz, types)),
        (r) => [...r.values()].every((x) => x.length > 0),
        90_000,
      ),
    ]);
    // Both then stream from where their snapshot was; a probe row written until both have
    // streamed one says both are past that point.
    let probing = true;
    const probe = (async () => {
      while (probing) {
        await conn.query(`INSERT INTO \`${db}\`.zz_probe VALUES ()`);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      await Promise.race([
        failed,
        readTopics(
          kafka.brokers,
          pairs.flatMap((p) => [p.dbz, p.ours]).map((p) => topic(p, 'zz_probe')),
          (r) => [...r.values()].every((x) => x.length > 0),
          90_000,
        ),
      ]);
    } finally {
      probing = false;
      await probe;
    }
    await conn.query(
      `USE \`${db}\`;
       INSERT INTO ${table} VALUES (3, 0, 'third', 99999999.99, -1.5e300, NULL, '2000-01-01', '2000-01-01 00:00:00.000', '2038-01-19 03:14:07.000000', NULL, NULL);
       UPDATE ${table} SET name = 'renamed', price = 13.75 WHERE id = 1;
       DELETE FROM ${table} WHERE id = 2;
       ALTER TABLE ${table} ADD COLUMN extra VARCHAR(10) NOT NULL DEFAULT 'x' AFTER name;
       INSERT INTO ${table} (id, extra) VALUES (4, 'y');
       START TRANSACTION;
       ${wideStreamed.join(';\n')};
       COMMIT;
       INSERT INTO ${types} VALUES ${typeRow(11, 0)};
       INSERT INTO ${types} VALUES ${typeRow(12, 1)}, ${typeRow(13, 2)};
       UPDATE ${types} SET ${typeUpdate.sql} WHERE id = 11;
       DELETE FROM ${types} WHERE id = 11;
       CREATE TABLE ${spans} (id INT NOT NULL PRIMARY KEY, t0 TIME NULL, t6 TIME(6) NULL);
       INSERT INTO ${spans} VALUES ${spanRows.map((r) => `(${r.id}, ${r.sql.join(', ')})`).join(', ')};`,
    );

    const outcome: Array<{ pair: string; differences: string[] }> = [];
    for (const pair of pairs) {
      // Data topics: how many records each holds once every write is in.
      const expected = new Map<string, number>(
        pair.tables
          .filter((t) => t !== 'zz_probe')
          .map((t) => [
            t,
            {
              // r ×2, then c, u, d, the tombstone, and a c after the schema change
              [table]: snapshotRows.length + 5,
              // r, then one transaction of c and u
              [wide]: 1 + wideStreamed.length,
              // r ×3, c ×3, u, d (+ tombstone)
              [types]: 8 + (pair.tombstones ? 1 : 0),
              [spans]: spanRows.length,
            }[t]!,
          ]),
      );
      const metaTopics = pair.metadata ? ['transaction', 'schema'] : [];
      const topicOf = (prefix: string, name: string) =>
        name === 'transaction' ? `${prefix}.transaction` : name === 'schema' ? prefix : topic(prefix, name);
      const names = [...expected.keys(), ...metaTopics];
      // The transaction topic is complete with the END of c_spans' insert, the schema-change
      // topic with the CREATE TABLE of c_spans: the last writes.
      const complete = (name: string, reads: Read[]) =>
        name === 'transaction'
          ? reads.some((r) => r.value?.includes(`"${db}.${spans}"`))
          : name === 'schema'
            ? reads.some((r) => r.value?.includes(`CREATE TABLE ${spans}`))
            : reads.length >= expected.get(name)!;
      const read = async (prefix: string, which: string[]) => {
        const got = await readTopics(
          kafka.brokers,
          which.map((n) => topicOf(prefix, n)),
          (r) => which.every((n) => complete(n, r.get(topicOf(prefix, n))!)),
          90_000,
        );
        return new Map(which.map((n) => [n, got.get(topicOf(prefix, n))!]));
      };
      // Debezium's MySQL connector writes no transaction topic from MariaDB (below).
      const [dbzReads, ourReads] = await Promise.race([
        failed,
        Promise.all([
          read(
            pair.dbz,
            names.filter((n) => n !== 'transaction'),
          ),
          read(pair.ours, names),
        ]),
      ]);

      const differences = new Map<string, string>();
      const compare = (name: string, a: Read, b: Read, label: string, snapshot: boolean) => {
        const found = new Map<string, string>();
        diff(normalized(a.key, pair.dbz), normalized(b.key, pair.ours), 'key', found, snapshot);
        diff(normalized(a.value, pair.dbz), normalized(b.value, pair.ours), 'value', found, snapshot);
        for (const [p, what] of found)
          if (!differences.has(p)) differences.set(p, `${name} ${label}: ${what}`);
      };
      // The consumer library, from the bytes.
      const decode = (name: string, r: Read) =>
        decodeRecord({
          topic: name,
          partition: r.partition,
          offset: '0',
          key: r.keyBytes,
          value: r.valueBytes,
        });
      const rows = (d: DecodedRecord) =>
        d.kind === 'change'
          ? { kind: d.kind, op: d.op, key: d.key, before: d.before, after: d.after, db: d.db, table: d.table }
          : d.kind === 'tombstone'
            ? { kind: d.kind, key: d.key }
            : { kind: d.kind };

      for (const name of expected.keys()) {
        const [dbz, mine] = [dbzReads.get(name)!, ourReads.get(name)!];
        expect(dbz, `${pair.dbz} ${name}`).toHaveLength(expected.get(name)!);
        expect(mine, `${pair.ours} ${name}`).toHaveLength(expected.get(name)!);
        for (let i = 0; i < dbz.length; i++) {
          const [a, b] = [dbz[i]!, mine[i]!];
          const op = (payloadOf(a, pair.schemas)?.op as string | undefined) ?? 'tombstone';
          compare(name, a, b, op, op === 'r');
          // Real Debezium's record decodes to the same operation, key and rows as ours.
          const da = decode(name, a);
          expect(da.kind === 'change' && da.position, `${pair.dbz} ${name} #${i}: a position`).not.toBe(null);
          // Compared as the rest: a difference in a decoded value is a known one or a failure.
          const plainJson = (x: unknown) =>
            JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v))) as J;
          const found = new Map<string, string>();
          diff(plainJson(rows(da)), plainJson(rows(decode(name, b))), 'decoded', found, false);
          for (const [p, what] of found)
            if (!differences.has(p)) differences.set(p, `${name} ${op}: ${what}`);
        }
        if (name === types && pair.mode) checkTypesDecoded(pair, dbz, decode);
      }

      if (pair.metadata) {
        // MariaDB opens a transaction with its GTID event, not a BEGIN query, and Debezium's
        // MySQL connector begins a transaction only on BEGIN: it has no transaction to report, so
        // no `transaction` block (a known difference) and no transaction topic at all. Ours: a
        // BEGIN and an END per transaction, the probe's one-row transactions left out (how many
        // fell before its snapshot point is per run).
        const admin = new Kafka({ brokers: kafka.brokers, logLevel: logLevel.NOTHING }).admin();
        await admin.connect();
        const topics = await admin.listTopics().finally(() => admin.disconnect());
        expect(topics).not.toContain(`${pair.dbz}.transaction`);
        const ends = ourReads
          .get('transaction')!
          .map((r) => payloadOf(r, pair.schemas)!)
          .filter((p) => p.status === 'END')
          .map((p) =>
            (p.data_collections as Array<{ data_collection: string }>).map((c) => c.data_collection),
          )
          .filter((c) => c.join() !== `${db}.zz_probe`);
        // insert, update, delete, insert (items), wide, the four a_types writes, c_spans
        expect(ends, `${pair.ours} transaction topic`).toEqual(
          [table, table, table, table, wide, types, types, types, types, spans].map((t) => [`${db}.${t}`]),
        );

        // Schema-change records: the streamed DDL one for one; of the snapshot's, each table's
        // CREATE TABLE, and the statements of Debezium's that ours has no record for.
        const schemaRecords = (reads: Read[]) => {
          // Debezium's snapshot also replays the tables of the server's other databases: only
          // this test's database (and the database-less SET) are compared.
          const all = reads
            .map((r) => {
              const p = payloadOf(r, pair.schemas)!;
              const snapshot = (p.source as Record<string, J>).snapshot !== 'false';
              return { r, ddl: String(p.ddl), snapshot, db: String(p.databaseName ?? '') };
            })
            .filter((x) => x.db === db || x.db === '');
          const creates = new Map(
            all
              .filter((x) => x.snapshot && x.ddl.startsWith('CREATE TABLE'))
              .map((x) => [/^CREATE TABLE `([^`]+)`/.exec(x.ddl)?.[1] ?? x.ddl, x]),
          );
          return { all, creates, streamed: all.filter((x) => !x.snapshot) };
        };
        const [dbzSchema, ourSchema] = [
          schemaRecords(dbzReads.get('schema')!),
          schemaRecords(ourReads.get('schema')!),
        ];
        expect([...ourSchema.creates.keys()].sort(), `${pair.ours} snapshot CREATE TABLE records`).toEqual(
          [...dbzSchema.creates.keys()].sort(),
        );
        for (const [name, x] of dbzSchema.creates)
          compare('schema', x.r, ourSchema.creates.get(name)!.r, `snapshot ${name}`, true);
        const statement = (ddl: string) => ddl.replace(/`[^`]*`/g, '`…`').split('\n')[0]!;
        const onlyDbz = dbzSchema.all
          .filter((x) => x.snapshot && !x.ddl.startsWith('CREATE TABLE'))
          .map((x) => statement(x.ddl));
        const onlyOurs = ourSchema.all
          .filter((x) => x.snapshot && !x.ddl.startsWith('CREATE TABLE'))
          .map((x) => statement(x.ddl));
        if (onlyDbz.join() !== onlyOurs.join())
          differences.set(
            'schema[snapshot statements]',
            `debezium ${JSON.stringify(onlyDbz)} | ours ${JSON.stringify(onlyOurs)}`,
          );
        expect(
          ourSchema.streamed.map((x) => x.ddl),
          `${pair.ours} streamed DDL`,
        ).toEqual(dbzSchema.streamed.map((x) => x.ddl));
        for (let i = 0; i < dbzSchema.streamed.length; i++)
          compare(
            'schema',
            dbzSchema.streamed[i]!.r,
            ourSchema.streamed[i]!.r,
            statement(dbzSchema.streamed[i]!.ddl),
            false,
          );
        for (const x of dbzSchema.all) expect(decode(pair.dbz, x.r).kind).toBe('ignored');
      }

      console.log(
        `differences (${pair.dbz}: Debezium vs ${pair.ours}: cdc/connector):\n${[...differences]
          .map(([p, w]) => `  ${p}: ${w}`)
          .join('\n')}`,
      );
      outcome.push({ pair: pair.dbz, differences: [...differences.keys()].sort() });
    }
    expect(outcome).toEqual(pairs.map((p) => ({ pair: p.dbz, differences: [...p.known.keys()].sort() })));
  });
});

/**
 * Real Debezium's a_types records, decoded by the consumer library from their bytes, against the
 * JS values the type test works out from the SQL literals (test/connector/type-columns.ts): per
 * id, the operations and the images before and after.
 */
function checkTypesDecoded(pair: Pair, reads: Read[], decode: (name: string, r: Read) => DecodedRecord) {
  const mode = pair.mode!;
  // A column whose value is a known difference decodes to Debezium's value, not the type test's.
  const differing = new Set(
    [...pair.known.keys()].map((k) => /^value\.(?:payload\.)?after\.(\w+)$/.exec(k)?.[1]).filter(Boolean),
  );
  const compared = typeColumns.filter((c) => !differing.has(c.name));
  const image = (x: Record<string, unknown> | null) =>
    x && Object.fromEntries(compared.map((c) => [c.name, x[c.name]]));
  const row = (id: number, r: 0 | 1 | 2) =>
    image(
      Object.fromEntries(
        typeColumns.map((c) => [c.name, c.name === 'id' ? id : (c.decoded ?? c.value)(r, mode)]),
      ),
    );
  const updated = image({ ...row(11, 0), ...typeUpdate.decoded });
  const expected: Record<number, unknown[]> = {
    1: [['r', null, row(1, 0)]],
    2: [['r', null, row(2, 1)]],
    3: [['r', null, row(3, 2)]],
    11: [
      ['c', null, row(11, 0)],
      ['u', row(11, 0), updated],
      ['d', updated, null],
      ...(pair.tombstones ? [['tombstone']] : []),
    ],
    12: [['c', null, row(12, 1)]],
    13: [['c', null, row(13, 2)]],
  };
  const history: Record<number, unknown[]> = {};
  for (const r of reads) {
    const d = decode(types, r);
    if (d.kind === 'ignored') throw new Error(`${pair.dbz} ${types}: ignored, ${d.reason}`);
    const id = Number(d.key?.id);
    history[id] = history[id] ?? [];
    history[id].push(d.kind === 'change' ? [d.op, image(d.before), image(d.after)] : ['tombstone']);
  }
  expect(compared.length).toBeGreaterThan(typeColumns.length - 3);
  expect(history, `${pair.dbz}: Debezium's ${types} records as the consumer library decodes them`).toEqual(
    expected,
  );
}

/**
 * Known differences, each with its reason (docs/connector.md has them too). Fix one and its
 * entry goes; a new one fails the test.
 */
const knownDifferences = new Map<string, string>([
  // The reference is Debezium's MySQL connector reading MariaDB (its MariaDB connector module
  // is not served here); cdc/connector emits what Debezium's MariaDB connector documents.
  [
    'value.schema.fields[source].name',
    'io.debezium.connector.mysql.Source vs mariadb.Source: MySQL connector as reference',
  ],
  ['value.payload.source.connector', '"mysql" vs "mariadb": MySQL connector as reference'],
  [
    'value.payload.source.gtid',
    "null vs MariaDB's domain-server-sequence: the MySQL connector reads only MySQL GTIDs",
  ],
  // cdc/connector says which Debezium release its format follows; the reference is newer.
  ['value.payload.source.version', '"3.6.1.Final" vs "3.4.0.Final"'],
  // Debezium pads a ZonedTimestamp's fraction to the column's length only on some paths; the
  // MySQL connector sends TIMESTAMP(3) trimmed, as Java prints an instant.
  ['value.payload.after.c_ts3', 'TIMESTAMP(3): "…00.5Z" / "…00Z" vs padded "…00.500Z" / "…00.000Z"'],
  ['decoded.after.c_ts3', 'the same c_ts3 text, decoded as sent'],
]);

/** With transaction metadata and schema-change records. */
const knownMetadataDifferences = new Map<string, string>([
  ...knownDifferences,
  [
    'value.payload.transaction',
    "null vs the block: MariaDB opens a transaction with its GTID event, which only Debezium's MariaDB connector reads",
  ],
  ['key.schema.name', 'mysql.SchemaChangeKey vs mariadb.SchemaChangeKey: MySQL connector as reference'],
  ['value.schema.name', 'mysql.SchemaChangeValue vs mariadb.SchemaChangeValue: MySQL connector as reference'],
  [
    'schema[snapshot statements]',
    "Debezium's snapshot replays SET, DROP TABLE, DROP/CREATE DATABASE and USE before the CREATE TABLEs; ours sends the CREATE TABLEs only",
  ],
  [
    'value.payload.tableChanges[0].table.columns[id].length',
    "c_spans' streamed CREATE TABLE: Debezium describes the statement (INT: no length), ours the table as the server reports it (int(11))",
  ],
]);

/** The same, without schemas: the payload differences stay, the schema names go. */
const schemaless = (known: Map<string, string>) =>
  new Map<string, string>(
    [...known]
      .filter(([k]) => !k.startsWith('value.schema.') && !k.startsWith('key.schema.'))
      .map(([k, why]) => [k.replace(/^value\.payload\./, 'value.'), why]),
  );

const pairs: Pair[] = [
  {
    dbz: 'dbz',
    ours: 'ours',
    schemas: true,
    keySchemas: true,
    tables: [table, wide, types, spans, 'zz_probe'],
    tombstones: true,
    metadata: true,
    mode: 'default',
    extra: {},
    known: knownMetadataDifferences,
  },
  {
    dbz: 'dbzs',
    ours: 'ourss',
    schemas: false,
    keySchemas: false,
    tables: [table, wide, types, spans, 'zz_probe'],
    tombstones: true,
    metadata: true,
    extra: { 'binary.handling.mode': 'base64-url-safe' },
    known: schemaless(knownMetadataDifferences),
  },
  {
    // The type test's "alt" connector: Kafka's Time cannot carry c_spans' durations.
    dbz: 'dbzb',
    ours: 'oursb',
    schemas: true,
    keySchemas: false,
    tables: [types, 'zz_probe'],
    tombstones: false,
    metadata: false,
    mode: 'alt',
    extra: {
      'decimal.handling.mode': 'string',
      'bigint.unsigned.handling.mode': 'precise',
      'binary.handling.mode': 'base64',
      'time.precision.mode': 'connect',
    },
    known: knownDifferences,
  },
  {
    dbz: 'dbzc',
    ours: 'oursc',
    schemas: true,
    keySchemas: true,
    tables: [types, spans, 'zz_probe'],
    tombstones: true,
    metadata: false,
    extra: {
      'decimal.handling.mode': 'double',
      'binary.handling.mode': 'hex',
    },
    known: knownDifferences,
  },
];
