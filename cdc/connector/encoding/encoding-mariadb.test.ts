import ZongJi from '@vlasky/zongji';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/database.ts';
import { installZongjiSeam } from '../zongji-seam.ts';
import {
  createTableEncoder,
  readTableDefs,
  snapshotConnectionOptions,
  snapshotSelectList,
  snapshotSessionSql,
  type TableMapLike,
  tableDefFromTableMap,
  zongjiConnectionOptions,
} from './index.ts';
import type { EncoderOptions, RawRow, TableDef } from './types.ts';

/**
 * The same stored rows read through both paths the connector uses — mysql2 with the snapshot
 * options (snapshot) and zongji from the real binlog (streaming) — must encode to identical
 * payloads, and to the values derived by hand from the reference.
 */

const options: EncoderOptions = {
  topicPrefix: 'legacy',
  connectorName: 'mariadb',
  version: '3.4.0.Final',
  decimalHandlingMode: 'precise',
  timePrecisionMode: 'adaptive_time_microseconds',
  bigintUnsignedHandlingMode: 'long',
  binaryHandlingMode: 'bytes',
  keySchemasEnable: false,
  valueSchemasEnable: false,
};

const ddl = `CREATE TABLE everything (
  id BIGINT NOT NULL, k2 INT NOT NULL,
  ti TINYINT, tiu TINYINT UNSIGNED, t1 TINYINT(1), bo BOOLEAN, si SMALLINT DEFAULT 5, siu SMALLINT UNSIGNED,
  mi MEDIUMINT, miu MEDIUMINT UNSIGNED, i INT, iu INT UNSIGNED, bi BIGINT, biu BIGINT UNSIGNED,
  total DECIMAL(12,2) NOT NULL DEFAULT 0, big DECIMAL(65,30), f FLOAT, f2 FLOAT(10,3), db DOUBLE,
  dt DATETIME, dt3 DATETIME(3), dt6 DATETIME(6), ts TIMESTAMP NULL, ts3 TIMESTAMP(3) NULL,
  tsd TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, da DATE, dnn DATE NOT NULL DEFAULT '2000-01-01',
  tm TIME, tm6 TIME(6), y YEAR,
  j JSON, status ENUM('pending','paid','x,y') NOT NULL DEFAULT 'pending', tags SET('a','b','c'),
  b1 BIT(1), b10 BIT(10), bl BLOB, bn BINARY(4), vb VARBINARY(10),
  c CHAR(3), vc VARCHAR(50) DEFAULT 'héllo', tx TEXT, lt LONGTEXT CHARACTER SET latin1,
  PRIMARY KEY (k2, id)
)`;

const full = `INSERT INTO everything VALUES (9223372036854775807, -5, -128, 255, 1, 0, -32768, 65535, -8388608, 16777215,
  -2147483648, 4294967295, -9223372036854775808, 18446744073709551615,
  19.99, -12345678901234567890123456789012345.123456789012345678901234567890, 3.1415927, 1234.5678, 0.1,
  '2018-06-20 06:37:03', '2018-06-20 06:37:03.120', '1969-12-31 23:59:59.999999', '2024-06-03 10:20:00', '2024-06-03 10:20:00.5',
  '2024-06-03 10:20:00', '2024-06-04', '1970-01-01', '-838:59:59', '12:34:56.000001', 2024,
  '{"b": 1, "a": [1, 2]}', 'x,y', 'a,c', b'1', b'1000000001', x'DEADBEEF', x'0102', x'00FF00',
  'ab ', 'h😀 "✓"', 'emoji 😀', 'café')`;

interface Captured {
  tableMaps: TableMapLike[];
  rows: RawRow[];
}

describe('snapshot and binlog rows encode identically (real MariaDB, real binlog)', () => {
  let db: TestDatabase;
  let conn: mysql.Connection;
  let zongji: ZongJi;
  const captured: Captured = { tableMaps: [], rows: [] };
  let def: TableDef;

  beforeAll(async () => {
    db = await createTestDatabase('enc');
    conn = await mysql.createConnection({ uri: db.url, ...snapshotConnectionOptions });
    for (const sql of snapshotSessionSql) await conn.query(sql);
    await conn.query(ddl);
    const url = new URL(db.serverUrl);
    zongji = new ZongJi({
      host: url.hostname,
      port: Number(url.port),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      ...zongjiConnectionOptions,
    });
    // as the connector does: TableMap events carry NULL-ability and their own column schemas
    const seam = installZongjiSeam(zongji);
    zongji.on(
      'binlog',
      (e: { getTypeName(): string; rows?: Array<RawRow | { before: RawRow; after: RawRow }> }) => {
        if (e.getTypeName() === 'TableMap') captured.tableMaps.push(e as unknown as TableMapLike);
        else if (e.rows)
          for (const r of e.rows)
            captured.rows.push('after' in r && 'before' in r ? (r.after as RawRow) : (r as RawRow));
      },
    );
    await new Promise<void>((resolve, reject) => {
      zongji.once('ready', () => resolve());
      zongji.once('error', reject);
      zongji.start({
        serverId: 10_000 + Math.floor(Math.random() * 50_000),
        startAtEnd: true,
        includeEvents: ['tablemap', 'writerows', 'updaterows', 'deleterows'],
        includeSchema: { [db.name]: true },
      });
    });
    await seam;
    await conn.query(full);
    await conn.query('INSERT INTO everything (id, k2) VALUES (1, 2)');
    // Values strict mode refuses: zero dates, an invalid ENUM (index 0), YEAR 0000, explicit NULL over a default.
    await conn.query("SET SESSION sql_mode = ''");
    await conn.query(
      "INSERT INTO everything (id, k2, da, dnn, dt, ts, status, y, vc) VALUES (3, 2, '0000-00-00', '0000-00-00', '0000-00-00 00:00:00', '0000-00-00 00:00:00', 'nope', 0, NULL)",
    );
    await waitFor(() => captured.rows.length >= 3);
    [def] = await readTableDefs(conn, db.name, ['everything']);
  });

  afterAll(async () => {
    zongji?.stop();
    await conn?.end();
    await db?.drop();
  });

  async function snapshotRows(): Promise<RawRow[]> {
    const [rows] = await conn.query(`SELECT ${snapshotSelectList(def)} FROM everything ORDER BY k2, id`);
    return rows as RawRow[];
  }
  const binlogRow = (k2: number, id: string) => {
    const row = captured.rows.find((r) => Number(r.k2) === k2 && String(r.id) === String(id));
    if (!row) throw new Error(`binlog row ${k2}/${id} not captured`);
    return row;
  };

  it('reads the definition from information_schema (key, nullability, defaults, types)', () => {
    expect(def.keyColumns).toEqual(['k2', 'id']);
    const byName = Object.fromEntries(def.columns.map((c) => [c.name, c]));
    expect(byName.status).toMatchObject({
      dataType: 'enum',
      nullable: false,
      defaultValue: "'pending'",
      enumValues: ['pending', 'paid', 'x,y'],
    });
    expect(byName.total).toMatchObject({ dataType: 'decimal', length: 12, scale: 2, defaultValue: '0.00' });
    expect(byName.vc).toMatchObject({ defaultValue: "'héllo'", nullable: true, charset: 'utf8mb4' });
    expect(byName.ti.defaultValue).toBe('NULL');
    expect(byName.tsd).toMatchObject({ dataType: 'timestamp', nullable: false, fsp: 0 });
    expect(byName.dt6.fsp).toBe(6);
    expect(byName.biu.unsigned).toBe(true);
    expect(byName.j.dataType).toBe('longtext'); // MariaDB JSON is an alias of LONGTEXT
  });

  it('builds the same definition from the binlog TABLE_MAP (FULL metadata), defaults aside', () => {
    const tm = captured.tableMaps.at(-1) as TableMapLike;
    // the zongji seam keeps what zongji would drop or share between events
    expect(tm.nullability).toHaveLength(def.columns.length);
    expect(tm.ownColumnSchemas).toHaveLength(def.columns.length);
    const fromBinlog = tableDefFromTableMap(tm);
    expect(fromBinlog.keyColumns).toEqual(['k2', 'id']);
    for (const [i, c] of def.columns.entries()) {
      const b = fromBinlog.columns[i];
      expect({ name: b.name, nullable: b.nullable }).toEqual({ name: c.name, nullable: c.nullable });
      expect(b.defaultValue).toBeUndefined();
      if (c.dataType !== 'float') expect(b.dataType).toBe(c.dataType);
      expect(b.unsigned).toBe(c.unsigned);
      if (c.fsp !== undefined) expect(b.fsp).toBe(c.fsp);
      if (c.enumValues) expect(b.enumValues).toEqual(c.enumValues);
      if (c.dataType === 'decimal') expect([b.length, b.scale]).toEqual([c.length, c.scale]);
    }
    const merged = tableDefFromTableMap(tm, def);
    expect(createTableEncoder(merged, options).schemas.value).toBe(
      createTableEncoder(def, options).schemas.value,
    );
  });

  it('encodes every type to the documented values', async () => {
    const enc = createTableEncoder(def, options);
    const [row] = (await snapshotRows()).filter((r) => Number(r.k2) === -5);
    const p = JSON.parse(enc.rowPayload(row, 'snapshot').replace(/:(-?\d{16,})/g, ':"$1"'));
    expect(p).toEqual({
      id: '9223372036854775807',
      k2: -5,
      ti: -128,
      tiu: 255,
      t1: 1,
      bo: 0,
      si: -32768,
      siu: 65535,
      mi: -8388608,
      miu: 16777215,
      i: -2147483648,
      iu: 4294967295,
      bi: '-9223372036854775808',
      biu: -1, // 2^64-1 wraps in long mode
      total: 'B88=', // 1999 = 07 CF
      big: expect.any(String),
      // biome-ignore lint/suspicious/noApproximativeNumericConstant: the stored FLOAT, not π
      f: 3.1415927,
      f2: 1234.5679931640625,
      db: 0.1,
      dt: 1529476623000,
      dt3: 1529476623120,
      dt6: -1,
      ts: '2024-06-03T10:20:00Z',
      ts3: '2024-06-03T10:20:00.500Z',
      tsd: '2024-06-03T10:20:00Z',
      da: 19878,
      dnn: 0,
      tm: -3020399000000,
      tm6: 45296000001,
      y: 2024,
      j: '{"b": 1, "a": [1, 2]}',
      status: 'x,y',
      tags: 'a,c',
      b1: true,
      b10: 'AQI=',
      bl: '3q2+7w==',
      bn: 'AQIAAA==',
      vb: 'AP8A',
      c: 'ab',
      vc: 'h😀 "✓"',
      tx: 'emoji 😀',
      lt: 'café',
    });
    // DECIMAL(65,30): minimal two's complement of the exact unscaled value
    const bytes = Buffer.from(p.big, 'base64');
    let n = 0n;
    for (const b of bytes) n = (n << 8n) | BigInt(b);
    if (bytes[0] & 0x80) n -= 1n << BigInt(bytes.length * 8);
    expect(n).toBe(-12345678901234567890123456789012345123456789012345678901234567890n);
    expect(bytes[0] === 0xff && (bytes[1] & 0x80) !== 0).toBe(false);
  });

  it('a snapshot row and the binlog row of the same insert give identical payloads and keys', async () => {
    const fromInfoSchema = createTableEncoder(def, options);
    const tm = captured.tableMaps.at(-1) as TableMapLike;
    const fromBinlog = createTableEncoder(tableDefFromTableMap(tm, def), options);
    const snap = await snapshotRows();
    expect(snap).toHaveLength(3);
    for (const row of snap) {
      const b = binlogRow(Number(row.k2), String(row.id));
      expect(fromBinlog.rowPayload(b, 'binlog')).toBe(fromInfoSchema.rowPayload(row, 'snapshot'));
      expect(fromBinlog.key(b, 'binlog')).toBe(fromInfoSchema.key(row, 'snapshot'));
    }
    // Without information_schema only FLOAT(10,3) differs: the binlog cannot tell it from FLOAT.
    const bare = createTableEncoder(tableDefFromTableMap(tm), options);
    for (const row of snap) {
      const b = binlogRow(Number(row.k2), String(row.id));
      const a = JSON.parse(bare.rowPayload(b, 'binlog'));
      const s = JSON.parse(fromInfoSchema.rowPayload(row, 'snapshot'));
      delete a.f2;
      delete s.f2;
      // defaults are unknown from the binlog: NULLs stay null instead of the default
      if (row.id === 3 || row.id === '3') {
        expect(a.vc).toBeNull();
        delete a.vc;
        delete s.vc;
      }
      expect(a).toEqual(s);
    }
  });

  it('edge values: zero dates, invalid ENUM, YEAR 0000, NULL replaced by the default', async () => {
    const enc = createTableEncoder(def, options);
    const row = (await snapshotRows()).find((r) => String(r.id) === '3') as RawRow;
    const p = JSON.parse(enc.rowPayload(row, 'snapshot'));
    expect(p.da).toBeNull(); // nullable zero date
    expect(p.dnn).toBe(0); // NOT NULL zero date → epoch
    expect(p.dt).toBeNull();
    expect(p.ts).toBeNull();
    expect(p.status).toBe('');
    expect(p.y).toBe(0);
    expect(p.vc).toBe('héllo'); // explicit NULL, DDL default 'héllo'
    expect(p.si).toBe(5);
    expect(p.total).toBe('AA=='); // 0.00
  });

  it('rows written before an ALTER keep their own columns when read after it', async () => {
    const before = captured.tableMaps.at(-1) as TableMapLike;
    await conn.query(
      'ALTER TABLE everything ADD COLUMN note VARCHAR(10) NOT NULL DEFAULT "n", DROP COLUMN tx',
    );
    const [after] = await readTableDefs(conn, db.name, ['everything']);
    const rowCount = captured.rows.length;
    await conn.query('UPDATE everything SET note = "x" WHERE id = 1');
    await waitFor(() => captured.rows.length > rowCount);
    const oldDef = tableDefFromTableMap(before, after);
    expect(oldDef.columns.map((c) => c.name)).toContain('tx');
    expect(oldDef.columns.map((c) => c.name)).not.toContain('note');
    // Columns that kept their name and type keep the current DDL default; a dropped one has none.
    expect(oldDef.columns.find((c) => c.name === 'vc')?.defaultValue).toBe("'héllo'");
    expect(oldDef.columns.find((c) => c.name === 'tx')?.defaultValue).toBeUndefined();
    const newDef = tableDefFromTableMap(captured.tableMaps.at(-1) as TableMapLike, after);
    expect(newDef.columns.map((c) => c.name)).toContain('note');
    expect(newDef.columns.find((c) => c.name === 'note')).toMatchObject({
      nullable: false,
      defaultValue: "'n'",
    });
    const updated = captured.rows.at(-1) as RawRow;
    expect(JSON.parse(createTableEncoder(newDef, options).rowPayload(updated, 'binlog')).note).toBe('x');
  });
});

describe('temporal edge values through both paths', () => {
  it('negative TIMEs (whole hours and minutes too), extreme DATETIME/TIMESTAMP/YEAR/FLOAT/DOUBLE', async () => {
    const db = await createTestDatabase('enctime');
    const conn = await mysql.createConnection({ uri: db.url, ...snapshotConnectionOptions });
    const url = new URL(db.serverUrl);
    const zongji = new ZongJi({
      host: url.hostname,
      port: Number(url.port),
      user: decodeURIComponent(url.username),
      ...zongjiConnectionOptions,
    });
    const rows: RawRow[] = [];
    let tableMap: TableMapLike | undefined;
    const seam = installZongjiSeam(zongji);
    try {
      for (const sql of snapshotSessionSql) await conn.query(sql);
      await conn.query(
        'CREATE TABLE t (id INT PRIMARY KEY, t6 TIME(6), t3 TIME(3), t0 TIME, t1 TIME(1), d6 DATETIME(6), ts6 TIMESTAMP(6) NULL, y YEAR, f FLOAT, dd DOUBLE)',
      );
      zongji.on(
        'binlog',
        (e: { getTypeName(): string; rows?: Array<RawRow | { before: RawRow; after: RawRow }> }) => {
          if (e.getTypeName() === 'TableMap') tableMap = e as unknown as TableMapLike;
          else if (e.rows) rows.push(...(e.rows as RawRow[]));
        },
      );
      await new Promise<void>((resolve, reject) => {
        zongji.once('ready', () => resolve());
        zongji.once('error', reject);
        zongji.start({
          serverId: 10_000 + Math.floor(Math.random() * 50_000),
          startAtEnd: true,
          includeEvents: ['tablemap', 'writerows'],
          includeSchema: { [db.name]: true },
        });
      });
      await seam;
      const times = [
        '-00:00:01.5',
        '-12:34:56.000001',
        '-838:59:59',
        '00:00:00',
        '-00:00:00.000001',
        '838:59:59.999999',
        '-01:00:00',
        '-00:01:00',
        '-01:30:00.000',
        '-24:00:00',
      ];
      for (const [i, v] of times.entries()) {
        await conn.query('INSERT INTO t (id, t6, t3, t0, t1) VALUES (?, ?, ?, ?, ?)', [i + 1, v, v, v, v]);
      }
      await conn.query(
        "INSERT INTO t VALUES (100, NULL, NULL, NULL, NULL, '2038-01-19 03:14:07.999999', '2038-01-19 03:14:07.999999', 1901, 3.4e38, 1.7976931348623157e308)",
      );
      await conn.query(
        "INSERT INTO t VALUES (101, NULL, NULL, NULL, NULL, '1000-01-01 00:00:00.000001', '1970-01-01 00:00:01.000001', 2155, -1.17549435e-38, 5e-324)",
      );
      await waitFor(() => rows.length >= times.length + 2);
      const [def] = await readTableDefs(conn, db.name, ['t']);
      const snapEnc = createTableEncoder(def, options);
      const binEnc = createTableEncoder(tableDefFromTableMap(tableMap as TableMapLike, def), options);
      const [snap] = await conn.query(`SELECT ${snapshotSelectList(def)} FROM t ORDER BY id`);
      for (const s of snap as RawRow[]) {
        const b = rows.find((r) => r.id === s.id) as RawRow;
        expect(binEnc.rowPayload(b, 'binlog')).toBe(snapEnc.rowPayload(s, 'snapshot'));
      }
      const minusHour = JSON.parse(snapEnc.rowPayload((snap as RawRow[])[6], 'snapshot'));
      expect([minusHour.t6, minusHour.t0]).toEqual([-3600e6, -3600e6]);
    } finally {
      zongji.stop();
      await conn.end();
      await db.drop();
    }
  });
});

describe('DDL defaults and keys read from the real server', () => {
  let db: TestDatabase;
  let conn: mysql.Connection;

  beforeAll(async () => {
    db = await createTestDatabase('encdef');
    conn = await mysql.createConnection({ uri: db.url, ...snapshotConnectionOptions });
    for (const sql of snapshotSessionSql) await conn.query(sql);
    await conn.query(`CREATE TABLE d (
      id INT PRIMARY KEY AUTO_INCREMENT, b BIT(3) DEFAULT b'101', b1 BIT(1) NOT NULL DEFAULT 1, bn BINARY(2) DEFAULT 'ab',
      t TIME DEFAULT '12:00:00', da DATE DEFAULT '2020-01-02', dt3 DATETIME(3) DEFAULT '2020-01-02 03:04:05.678',
      dtn DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), dec1 DECIMAL(5,2) DEFAULT -1.5, f FLOAT DEFAULT 1.25,
      s VARCHAR(20) DEFAULT 'it''s \\\\ x\\n', e SET('a','b') DEFAULT 'a,b', u VARCHAR(40) DEFAULT (uuid()), y YEAR DEFAULT 2020,
      n INT DEFAULT NULL, bi BIGINT UNSIGNED DEFAULT 18446744073709551615)`);
    await conn.query(
      'CREATE TABLE uniq (a INT NULL, b VARCHAR(5) NOT NULL, c INT, UNIQUE KEY ub (b, a), UNIQUE KEY uc (c))',
    );
    await conn.query('CREATE TABLE nokey (a INT, b INT, KEY kb (b))');
  });

  afterAll(async () => {
    await conn?.end();
    await db?.drop();
  });

  it('renders each DDL default as its Connect value', async () => {
    const [def] = await readTableDefs(conn, db.name, ['d']);
    const schema = JSON.parse(createTableEncoder(def, options).schemas.value) as {
      fields: Array<{ field: string; default?: unknown }>;
    };
    const defaults = Object.fromEntries(schema.fields.map((f) => [f.field, f.default]));
    expect(defaults).toEqual({
      id: undefined,
      b: 'BQ==', // b'101' = 0x05
      b1: true,
      bn: 'YWI=', // 'ab'
      t: 43200000000, // 12:00:00 in µs
      da: 18263, // 2020-01-02: 50 years of 365 days + 12 leap days + 1
      dt3: 1577934245678,
      dtn: 0, // CURRENT_TIMESTAMP on NOT NULL → epoch
      dec1: '/2o=', // -150 = FF 6A
      f: 1.25,
      s: "it's \\ x\n",
      e: 'a,b',
      u: undefined, // an expression
      y: 2020,
      n: undefined,
      bi: -1, // 2^64-1 wraps in long mode
    });
    expect(18263).toBe(50 * 365 + 12 + 1);
  });

  it('promotes the first unique index when there is no primary key; no index → null key', async () => {
    const [uniq, nokey] = await readTableDefs(conn, db.name, ['uniq', 'nokey']);
    expect(uniq.keyColumns).toEqual(['b', 'a']);
    expect(uniq.primaryKeyColumns).toEqual([]);
    const enc = createTableEncoder(uniq, { ...options, keySchemasEnable: true });
    expect(enc.key({ a: null, b: 'x', c: 1 }, 'snapshot')).toBe(
      `{"schema":{"type":"struct","fields":[{"type":"string","optional":false,"field":"b"},{"type":"int32","optional":true,"field":"a"}],"optional":false,"name":"legacy.${db.name}.uniq.Key"},"payload":{"b":"x","a":null}}`,
    );
    expect(nokey.keyColumns).toEqual([]);
    expect(createTableEncoder(nokey, options).key({ a: 1, b: 2 }, 'snapshot')).toBeNull();
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for binlog events');
    await new Promise((r) => setTimeout(r, 20));
  }
}
