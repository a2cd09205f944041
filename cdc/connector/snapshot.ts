import mysql from 'mysql2';
import type { Connection as PromiseConnection, RowDataPacket } from 'mysql2/promise';
import type { Logger } from '../../lib/log.ts';
import type { ColumnPolicy } from './column-policy.ts';
import type { ConnectorConfig } from './config.ts';
import {
  createTableEncoder,
  quoteId,
  readTableDefs,
  schemaChangeMessage,
  snapshotConnectionOptions,
  snapshotQueryOptions,
  snapshotSelectList,
  snapshotSessionSql,
} from './encoding/index.ts';
import type { EncoderOptions, RawRow, SnapshotMarker, SourceInfo, TableDef } from './encoding/types.ts';
import { ConnectorError } from './errors.ts';
import type { BinlogPosition } from './offsets.ts';
import type { OutMessage, Publisher } from './publisher.ts';
import { currentPosition, type ServerInfo } from './source-server.ts';
import type { ConnectorStatus } from './status.ts';

export interface SnapshotContext {
  url: string;
  server: ServerInfo;
  config: ConnectorConfig;
  encoderOptions: EncoderOptions;
  publisher: Publisher;
  status: ConnectorStatus;
  log: Logger;
  columns: ColumnPolicy;
  /** The captured tables, as `db.table`, decided by the include/exclude lists. */
  listTables(conn: PromiseConnection): Promise<{ db: string; table: string }[]>;
}

/**
 * Debezium's initial snapshot: under a brief global read lock, open a REPEATABLE READ
 * consistent-snapshot transaction and read the binlog position, then release the lock and read
 * every captured table inside that transaction as `op: r` events. Streaming starts from exactly
 * that position, so every change is either in the snapshot or in the stream, never in neither.
 * Rows are streamed from the server and paused while Kafka's queue is full: memory stays bounded
 * whatever the table size.
 */
export async function runSnapshot(ctx: SnapshotContext, withData: boolean): Promise<BinlogPosition> {
  const raw = mysql.createConnection({ uri: ctx.url, ...snapshotConnectionOptions });
  const conn = raw.promise();
  const status = ctx.status.snapshot;
  try {
    for (const sql of snapshotSessionSql) await conn.query(sql);
    await conn.query('SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ');
    let locked = false;
    try {
      await conn.query('FLUSH TABLES WITH READ LOCK');
      locked = true;
    } catch (err) {
      throw new ConnectorError(
        'CONNECTOR_ERR_SNAPSHOT',
        `FLUSH TABLES WITH READ LOCK failed (${(err as Error).message}): the snapshot user needs the RELOAD privilege`,
        { cause: err },
      );
    }
    let position: BinlogPosition;
    let tables: TableDef[];
    const ddl = new Map<string, string>();
    try {
      await conn.query('START TRANSACTION WITH CONSISTENT SNAPSHOT');
      position = await currentPosition(conn, ctx.server.flavour);
      const names = await ctx.listTables(conn);
      tables = [];
      for (const db of [...new Set(names.map((n) => n.db))]) {
        tables.push(
          ...(await readTableDefs(
            conn,
            db,
            names.filter((n) => n.db === db).map((n) => n.table),
          )),
        );
      }
      if (ctx.config['include.schema.changes']) {
        for (const t of tables) {
          const [rows] = await conn.query<RowDataPacket[]>(
            `SHOW CREATE TABLE ${quoteId(t.db)}.${quoteId(t.table)}`,
          );
          ddl.set(`${t.db}.${t.table}`, String(rows[0]?.['Create Table'] ?? ''));
        }
      }
    } finally {
      if (locked) await conn.query('UNLOCK TABLES');
    }
    ctx.log.info({ position, tables: tables.length }, 'snapshot: consistent view open, lock released');
    tables.sort((a, b) => (a.db === b.db ? cmp(a.table, b.table) : cmp(a.db, b.db)));

    if (ctx.config['include.schema.changes']) {
      const nowMs = Date.now();
      ctx.publisher.push(
        tables.map((t) =>
          schemaChangeMessage(ctx.encoderOptions, {
            db: t.db,
            ddl: ddl.get(`${t.db}.${t.table}`) ?? '',
            tableChanges: [{ type: 'CREATE', db: t.db, table: t.table, def: t }],
            source: snapshotSource(position, t, Date.now(), 'true'),
            nowMs,
          }),
        ),
      );
    }
    if (withData) await readTables(ctx, raw, conn, tables, position);
    await conn.query('COMMIT');
    return position;
  } finally {
    status.running = false;
    status.table = null;
    await conn.end().catch(() => undefined);
  }
}

async function readTables(
  ctx: SnapshotContext,
  raw: mysql.Connection,
  conn: PromiseConnection,
  tables: TableDef[],
  position: BinlogPosition,
): Promise<void> {
  const status = ctx.status.snapshot;
  status.running = true;
  status.rowsDone = 0;
  const [estimates] = await conn.query<RowDataPacket[]>(
    'SELECT TABLE_SCHEMA AS db, TABLE_NAME AS t, TABLE_ROWS AS n FROM information_schema.TABLES',
  );
  const estimate = new Map(estimates.map((r) => [`${r.db}.${r.t}`, Number(r.n ?? 0)]));
  status.rowsTotal = tables.reduce((n, t) => n + (estimate.get(`${t.db}.${t.table}`) ?? 0), 0);

  // One row is held back so its snapshot marker (first/last of its table, of the snapshot) is known when it is sent.
  let pending: { encoderIndex: number; row: RawRow; firstOfTable: boolean; tsMs: number } | undefined;
  let sentAny = false;
  const encoders = tables.map((t) => {
    try {
      return createTableEncoder(t, ctx.encoderOptions, ctx.columns.valueColumns(t));
    } catch (err) {
      if (err instanceof ConnectorError && err.code === 'CONNECTOR_ERR_UNSUPPORTED_COLUMN')
        err.context.position = position;
      throw err;
    }
  });
  const batch: OutMessage[] = [];
  const flushPending = (lastOfTable: boolean, lastOverall: boolean) => {
    if (!pending) return;
    const t = tables[pending.encoderIndex] as TableDef;
    const encoder = encoders[pending.encoderIndex];
    if (!encoder) return;
    const marker: SnapshotMarker = lastOverall
      ? 'last'
      : !sentAny
        ? 'first'
        : lastOfTable
          ? 'last_in_data_collection'
          : pending.firstOfTable
            ? 'first_in_data_collection'
            : 'true';
    batch.push({
      topic: encoder.topic,
      key: encoder.key(pending.row, 'snapshot'),
      value: encoder.change(
        'r',
        null,
        pending.row,
        'snapshot',
        snapshotSource(position, t, pending.tsMs, marker),
        null,
        Date.now(),
      ),
    });
    sentAny = true;
    pending = undefined;
  };
  const push = async () => {
    if (batch.length === 0) return;
    ctx.publisher.push(batch.splice(0));
    await ctx.publisher.room();
  };

  for (let i = 0; i < tables.length; i++) {
    const t = tables[i] as TableDef;
    status.table = `${t.db}.${t.table}`;
    const [now] = await conn.query<RowDataPacket[]>('SELECT UNIX_TIMESTAMP() AS s');
    const tsMs = Number(now[0]?.s ?? Math.floor(Date.now() / 1000)) * 1000;
    let first = true;
    const stream = raw
      .query({
        sql: `SELECT ${snapshotSelectList(t)} FROM ${quoteId(t.db)}.${quoteId(t.table)}`,
        ...snapshotQueryOptions(t),
      })
      .stream({ highWaterMark: ctx.config['snapshot.fetch.size'] });
    for await (const row of stream) {
      // A held-back row of an earlier table was that table's last.
      flushPending(pending !== undefined && pending.encoderIndex !== i, false);
      pending = { encoderIndex: i, row: row as RawRow, firstOfTable: first, tsMs };
      first = false;
      status.rowsDone++;
      if (batch.length >= 512) await push();
    }
  }
  flushPending(true, true);
  await push();
  status.completed = true;
}

function snapshotSource(
  position: BinlogPosition,
  t: TableDef,
  tsMs: number,
  marker: SnapshotMarker,
): SourceInfo {
  return {
    tsMs,
    snapshot: marker,
    db: t.db,
    table: t.table,
    serverId: 0,
    gtid: null,
    file: position.file,
    pos: position.pos,
    row: 0,
    thread: null,
    query: null,
  };
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
