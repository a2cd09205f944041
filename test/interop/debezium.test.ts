import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeRecord, parseLosslessJson } from '../../cdc/consumer/index.ts';
import { freePort } from '../../lib/net.ts';
import { type ConnectWorker, startConnect } from '../../scripts/interop/connect.ts';
import { debeziumConfig } from '../../scripts/interop/debezium.ts';
import { type KafkaCluster, startKafka } from '../../scripts/interop/kafka.ts';
import { type ConnectorRun, startConnector, waitStreaming } from '../connector/support.ts';
import { readTopic } from './support.ts';

/**
 * Real Debezium (Kafka Connect standalone, the MySQL connector, the JSON converter with schemas,
 * configured as docs/operations.md documents) and the toolkit's connector capture the same
 * writes on the same database into the same Kafka, each under its own topic prefix. Every key,
 * value schema and payload is compared field by field; the fields that differ are listed in
 * `knownDifferences` with the reason, so a new difference fails this test and so does a fixed
 * one until its entry goes.
 */

const table = 'items';
const columns = `id INT PRIMARY KEY, big BIGINT, name VARCHAR(40), price DECIMAL(10,2), ratio DOUBLE,
  flag TINYINT(1), born DATE, seen DATETIME(3), changed TIMESTAMP(6) NULL, note TEXT, kind ENUM('a','b')`;
const snapshotRows = [
  `(1, 9007199254740993, 'first', 12.50, 0.25, 1, '2024-02-29', '2024-03-01 10:11:12.345', '2024-03-01 10:11:12.123456', 'é😀', 'a')`,
  `(2, -5, NULL, 0.00, NULL, 0, '1970-01-01', '1999-12-31 23:59:59.999', NULL, '', 'b')`,
];

/** More of the column types the connector's type test covers, in a second table. */
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
 * Per run, by nature: when the event was made or read, and for snapshot rows (op r) the binlog
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
function diff(a: J | undefined, b: J | undefined, at: string, out: Map<string, string>, op = '') {
  // Paths without schemas (value.x) and with them (value.payload.x) name the same fields.
  const field = at.replace(/^value\.payload\./, 'value.');
  if (perRun.has(field) || (op === 'r' && perRunSnapshot.has(field))) return;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) diff(a[k], b[k], `${at}.${k}`, out, op);
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
        diff(ma.get(k), mb.get(k), `${at}[${k}]`, out, op);
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

describe('real Debezium and cdc/connector, field by field', () => {
  let kafka: KafkaCluster;
  let connect: ConnectWorker | undefined;
  const ours: ConnectorRun[] = [];
  let conn: mysql.Connection;
  const db = `interop_${randomBytes(3).toString('hex')}`;
  const serverUrl = inject('interopMysqlUrl');

  beforeAll(async () => {
    conn = await mysql.createConnection({ uri: serverUrl, multipleStatements: true });
    await conn.query(`SET time_zone = '+00:00'`);
    await conn.query(`CREATE DATABASE \`${db}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci`);
    await conn.query(`CREATE TABLE \`${db}\`.${table} (${columns})`);
    await conn.query(`INSERT INTO \`${db}\`.${table} VALUES ${snapshotRows.join(',')}`);
    await conn.query(`CREATE TABLE \`${db}\`.${wide} (${wideColumns})`);
    await conn.query(`INSERT INTO \`${db}\`.${wide} VALUES ${wideSnapshotRow}`);
    // Empty at snapshot time, last in name order: the snapshot's last row is in another table.
    await conn.query(`CREATE TABLE \`${db}\`.zz_probe (id INT AUTO_INCREMENT PRIMARY KEY)`);
    kafka = await startKafka({ nodes: 1 });

    // The same document for both, as docs/operations.md says it works for both; a second pair
    // with the schemaless JSON converter (schemas.enable false, set on the connector).
    const config = (prefix: string) =>
      debeziumConfig({
        mysqlUrl: serverUrl,
        brokers: kafka.brokers,
        prefix,
        databases: [db],
        extra: pairs.find((p) => p.ours === prefix || p.dbz === prefix)!.schemas
          ? {}
          : { 'key.converter.schemas.enable': 'false', 'value.converter.schemas.enable': 'false' },
      });
    const startOurs = async (prefix: string) => {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'interop-ours-'));
      await fs.writeFile(
        path.join(dir, 'connector.json'),
        JSON.stringify({ name: prefix, config: config(prefix) }),
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
        connectors: pairs.map((p) => ({ name: p.dbz, config: config(p.dbz) })),
      }),
      ...pairs.map((p) => startOurs(p.ours)),
    ]);
    connect = worker;
    console.log(
      `kafka ready in ${kafka.startupMs.ready} ms; Connect + Debezium (2 connectors) RUNNING in ${worker.startupMs} ms`,
    );
  });

  afterAll(async () => {
    await Promise.all(ours.map((o) => o.stop()));
    await connect?.stop();
    await kafka?.stop();
    await conn?.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await conn?.end();
  });

  it('snapshot, insert, update, delete, tombstone, schema change, transaction: every difference is a known one', async () => {
    const topic = (prefix: string, name: string) => `${prefix}.${db}.${name}`;
    const failed = Promise.race(pairs.map((p) => connect!.failure(p.dbz)));
    failed.catch(() => undefined);
    // Debezium's snapshot is a consistent read that begins some time after Connect reports it
    // RUNNING: a snapshot row of Debezium's says it began, so a probe row cannot be in it (it
    // would be in Debezium's snapshot and not in ours). cdc/connector's is over already.
    await Promise.race([
      failed,
      Promise.all(
        pairs.map((p) => readTopic(kafka.brokers, topic(p.dbz, table), (r) => r.length > 0, 90_000)),
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
        Promise.all(
          pairs
            .flatMap((p) => [p.dbz, p.ours])
            .map((p) => readTopic(kafka.brokers, `${p}.${db}.zz_probe`, (r) => r.length > 0, 90_000)),
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
       COMMIT;`,
    );
    for (const pair of pairs) {
      const differences = new Map<string, string>();
      for (const [name, expected] of [
        // r ×2, then c, u, d, the tombstone, and a c after the schema change
        [table, snapshotRows.length + 5],
        // r, then one transaction of c and u
        [wide, 1 + wideStreamed.length],
      ] as const) {
        const [dbz, mine] = await Promise.race([
          failed,
          Promise.all([
            readTopic(kafka.brokers, topic(pair.dbz, name), (r) => r.length >= expected, 60_000),
            readTopic(kafka.brokers, topic(pair.ours, name), (r) => r.length >= expected, 60_000),
          ]),
        ]);
        expect(dbz, name).toHaveLength(expected);
        expect(mine, name).toHaveLength(expected);
        for (let i = 0; i < expected; i++) {
          const [a, b] = [dbz[i]!, mine[i]!];
          const parsed = a.value === null ? null : (JSON.parse(a.value) as Record<string, { op?: string }>);
          const op =
            parsed === null ? 'tombstone' : ((pair.schemas ? parsed.payload?.op : parsed.op) as string);
          const found = new Map<string, string>();
          diff(normalized(a.key, pair.dbz), normalized(b.key, pair.ours), 'key', found, op);
          diff(normalized(a.value, pair.dbz), normalized(b.value, pair.ours), 'value', found, op);
          for (const [p, what] of found)
            if (!differences.has(p)) differences.set(p, `${name} ${op}: ${what}`);

          // The consumer library, from the bytes: real Debezium's record decodes to the same rows.
          const decoded = (r: typeof a) => {
            const d = decodeRecord({
              topic: name,
              partition: r.partition,
              offset: '0',
              key: r.keyBytes,
              value: r.valueBytes,
            });
            if (d.kind !== 'change') return d;
            expect(d.position, `${name} #${i}: a position to order events by`).not.toBeNull();
            return {
              kind: d.kind,
              op: d.op,
              key: d.key,
              before: d.before,
              after: d.after,
              db: d.db,
              table: d.table,
            };
          };
          expect(decoded(a), `${pair.dbz} ${name} #${i} (${op}) as the consumer library decodes it`).toEqual(
            decoded(b),
          );
        }
      }
      console.log(
        `differences (${pair.dbz}: Debezium vs ${pair.ours}: cdc/connector):\n${[...differences]
          .map(([p, w]) => `  ${p}: ${w}`)
          .join('\n')}`,
      );
      expect([...differences.keys()].sort(), pair.dbz).toEqual([...pair.known.keys()].sort());
    }
  });
});

/**
 * Known differences, each with its reason. Fix one and its entry goes; a new one fails the test.
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
]);

/** The same, without schemas: the payload differences stay, the schema name goes. */
const knownSchemalessDifferences = new Map<string, string>(
  [...knownDifferences]
    .filter(([k]) => k.startsWith('value.payload.'))
    .map(([k, why]) => [k.replace('value.payload.', 'value.'), why]),
);

const pairs: Array<{ dbz: string; ours: string; schemas: boolean; known: Map<string, string> }> = [
  { dbz: 'dbz', ours: 'ours', schemas: true, known: knownDifferences },
  { dbz: 'dbzs', ours: 'ourss', schemas: false, known: knownSchemalessDifferences },
];
