import ZongJi, { type AnyBinlogEvent } from '@vlasky/zongji';
import type { Logger } from '../../lib/log.ts';
import type { ColumnPolicy } from './column-policy.ts';
import type { ConnectorConfig } from './config.ts';
import {
  createTableEncoder,
  heartbeatMessage,
  schemaChangeMessage,
  type TableEncoder,
  tableDefFromTableMap,
  transactionMessage,
  zongjiConnectionOptions,
} from './encoding/index.ts';
import type { EncoderOptions, SourceInfo, TableDef, TransactionInfo } from './encoding/types.ts';
import { ConnectorError } from './errors.ts';
import type { BinlogPosition } from './offsets.ts';
import type { OutMessage, Publisher } from './publisher.ts';
import { ddlTarget, GtidPosition } from './source-server.ts';
import type { ConnectorStatus } from './status.ts';
import { installZongjiSeam } from './zongji-seam.ts';

/** Event header (19 bytes) and CRC32 trailer are not part of zongji's `size`. */
const HEADER_BYTES = 19;
/** Binlog events read ahead of processing before the socket pauses. */
const LOCAL_QUEUE_HIGH = 20_000;
const LOCAL_QUEUE_LOW = 5_000;

export interface StreamContext {
  url: string;
  config: ConnectorConfig;
  encoderOptions: EncoderOptions;
  publisher: Publisher;
  status: ConnectorStatus;
  log: Logger;
  columns: ColumnPolicy;
  /** server_id of the source server, for events whose header id zongji does not expose. */
  sourceServerId: number;
  isCaptured(db: string, table: string): boolean;
  includedDatabases(db: string): boolean;
  /** Current information_schema definition, for what the binlog does not carry (column defaults). */
  describe(db: string, table: string): Promise<TableDef | undefined>;
  onFatal(err: Error): void;
}

interface OpenTransaction {
  id: string;
  gtid: string | null;
  serverId: number;
  thread: number | null;
  events: number;
  perTable: Map<string, number>;
  tsMs: number;
}

/**
 * Reads the binlog from a transaction boundary and turns row events into Debezium change
 * events. Column names and types come from each TABLE_MAP event's own metadata
 * (binlog_row_metadata=FULL), so rows written before an ALTER TABLE keep their columns however
 * late they are read. Resume points are the ends of transactions (Xid, or a standalone DDL
 * group): a restart re-reads at most the transaction in progress, never skips one.
 */
export class BinlogStream {
  private zongji: ZongJi | undefined;
  private file = '';
  private gtids: GtidPosition;
  private tx: OpenTransaction | undefined;
  private query: string | null = null;
  private readonly encoders = new Map<number, { signature: string; encoder: TableEncoder; def: TableDef }>();
  private readonly described = new Map<string, TableDef | undefined>();
  private paused = false;
  private useChecksum = true;
  private events: AnyBinlogEvent[] = [];
  private head = 0;
  private draining = false;
  /** Halted on an alarm: nothing more is read, handled or sent. */
  private halted = false;

  constructor(private readonly ctx: StreamContext) {
    this.gtids = GtidPosition.parse(null);
  }

  async start(from: BinlogPosition): Promise<void> {
    this.file = from.file;
    this.gtids = GtidPosition.parse(from.gtids);
    const z = new ZongJi({ uri: this.ctx.url, ...zongjiConnectionOptions });
    // Before start: TableMap events must carry the NULL-ability zongji drops (see zongji-seam.ts).
    const seam = installZongjiSeam(z);
    this.zongji = z;
    z.on('binlog', (event: AnyBinlogEvent) => this.enqueue(event));
    z.on('error', (err: Error) =>
      this.ctx.onFatal(
        new ConnectorError(
          'CONNECTOR_ERR_BINLOG',
          /same server_uuid\/server_id/i.test(err.message)
            ? `another binlog reader connected to the server with database.server.id=${this.ctx.config['database.server.id']} and the server dropped this one: every connector (and replica) of a server needs its own id (CONNECTOR_SERVER_ID or CDC_DATABASE_SERVER_ID) — ${err.message}`
            : `binlog stream: ${err.message}`,
          { cause: err },
        ),
      ),
    );
    const ready = new Promise<void>((resolve, reject) => {
      z.once('ready', () => resolve());
      z.once('error', reject);
      z.start({
        serverId: this.ctx.config['database.server.id'],
        filename: from.file,
        position: from.pos,
        requestAnnotateRows: this.ctx.config['include.query'],
      });
    });
    await Promise.all([ready, seam]);
    this.useChecksum = z.useChecksum;
  }

  stop(): void {
    const z = this.zongji;
    this.zongji = undefined;
    z?.stop();
  }

  /** Stops reading and handling for good (an alarm): no event after the one that halted it is handled or sent. */
  halt(): void {
    this.halted = true;
    this.stop();
  }

  /**
   * Events are handled strictly in binlog order, some of them asynchronously (a table's
   * definition looked up, Kafka's queue full): they wait in a local queue, and the binlog
   * socket is paused while that queue is long.
   */
  private enqueue(event: AnyBinlogEvent): void {
    this.events.push(event);
    if (this.events.length - this.head > LOCAL_QUEUE_HIGH && !this.paused) {
      this.paused = true;
      this.zongji?.connection?.pause();
    }
    if (!this.draining) void this.drainEvents();
  }

  private async drainEvents(): Promise<void> {
    this.draining = true;
    try {
      while (this.head < this.events.length && !this.halted) {
        const event = this.events[this.head++] as AnyBinlogEvent;
        if (this.head > 4096) {
          this.events = this.events.slice(this.head);
          this.head = 0;
        }
        const pending = this.handle(event);
        if (pending) await pending;
        if (this.ctx.publisher.size >= this.ctx.config['max.queue.size']) await this.ctx.publisher.room();
        if (this.paused && this.events.length - this.head < LOCAL_QUEUE_LOW) {
          this.paused = false;
          this.zongji?.connection?.resume();
        }
      }
    } catch (err) {
      this.ctx.onFatal(err as Error);
    } finally {
      this.draining = false;
    }
  }

  /** Where an event starts in its file (zongji gives its end and its size without header and checksum). */
  private startOf(event: AnyBinlogEvent): number {
    return event.nextPosition - event.size - HEADER_BYTES - (this.useChecksum ? 4 : 0);
  }

  private position(pos: number): BinlogPosition {
    return { file: this.file, pos, gtids: this.gtids.toString() || null };
  }

  private handle(event: AnyBinlogEvent): void | Promise<void> {
    const e = event as AnyBinlogEvent & Record<string, unknown>;
    switch (event.getTypeName()) {
      case 'Rotate': {
        const r = e as unknown as { binlogName: string; position: number };
        this.file = r.binlogName;
        return;
      }
      case 'MariadbGtid': {
        const g = e as unknown as { gtid: string; standalone: boolean; serverId: number; threadId?: number };
        this.beginTransaction(g.gtid, g.gtid, g.serverId, g.threadId ?? null, event.timestamp);
        return;
      }
      case 'Gtid': {
        const g = e as unknown as { gtid: string };
        this.beginTransaction(g.gtid, g.gtid, this.ctx.sourceServerId, null, event.timestamp);
        return;
      }
      case 'AnnotateRows':
      case 'RowsQuery':
        this.query = (e as unknown as { statement: string }).statement;
        return;
      case 'Query':
        return this.onQuery(e as unknown as QueryLike, event);
      case 'TableMap':
        return this.onTableMap(e as unknown as TableMapLike, event);
      case 'WriteRows':
      case 'UpdateRows':
      case 'DeleteRows':
        return this.onRows(e as unknown as RowsLike, event);
      case 'Xid':
        return this.commit(event.nextPosition);
      default:
        return;
    }
  }

  private beginTransaction(
    id: string,
    gtid: string | null,
    serverId: number,
    thread: number | null,
    tsMs: number,
  ): void {
    this.tx = {
      id,
      gtid,
      serverId,
      thread,
      events: 0,
      perTable: new Map(),
      tsMs,
    };
    this.query = null;
    if (this.ctx.config['provide.transaction.metadata']) {
      const m = transactionMessage(this.ctx.encoderOptions, {
        status: 'BEGIN',
        id,
        eventCount: null,
        dataCollections: null,
        tsMs,
      });
      this.emit([m]);
    }
  }

  private onQuery(q: QueryLike, event: AnyBinlogEvent): void | Promise<void> {
    const sql = q.query.trim();
    const upper = sql.slice(0, 16).toUpperCase();
    if (upper.startsWith('BEGIN') || upper.startsWith('XA ')) {
      // MySQL without GTIDs: the BEGIN query opens the transaction and names the writing thread.
      if (!this.tx) {
        const id = `file=${this.file},pos=${this.startOf(event)}`;
        this.beginTransaction(id, null, this.ctx.sourceServerId, q.slaveProxyId, event.timestamp);
      } else this.tx.thread = q.slaveProxyId;
      return;
    }
    if (upper.startsWith('COMMIT')) return this.commit(event.nextPosition);
    if (upper.startsWith('ROLLBACK') || upper.startsWith('SAVEPOINT')) return;
    return this.onDdl(sql, q, event);
  }

  private async onDdl(sql: string, q: QueryLike, event: AnyBinlogEvent): Promise<void> {
    const target = ddlTarget(sql, q.schema);
    const gtid = this.tx?.gtid ?? null;
    const serverId = this.tx?.serverId ?? this.ctx.sourceServerId;
    // A DDL statement is its own transaction: it ends any open one.
    if (this.tx?.gtid) this.gtids.add(this.tx.gtid);
    this.tx = undefined;
    if (target)
      for (const t of [...target.tables, target.renamedFrom ?? ''])
        this.described.delete(`${target.db}.${t}`);
    const wanted =
      target !== undefined &&
      this.ctx.config['include.schema.changes'] &&
      this.ctx.includedDatabases(target.db) &&
      target.kind !== 'TRUNCATE';
    if (wanted) {
      // The table's shape after the DDL is read from the server when the event is processed (see docs/connector.md).
      const tableChanges = await Promise.all(
        target.tables.map(async (table) => ({
          type: target.kind,
          db: target.db,
          table,
          ...(target.renamedFrom ? { previousTable: target.renamedFrom } : {}),
          def: target.kind === 'DROP' ? undefined : await this.ctx.describe(target.db, table),
        })),
      );
      const source: SourceInfo = {
        tsMs: event.timestamp,
        snapshot: 'false',
        db: target.db,
        table: target.tables.join(','),
        serverId,
        gtid,
        file: this.file,
        pos: this.startOf(event),
        row: 0,
        thread: null,
        query: null,
      };
      this.emit([
        schemaChangeMessage(this.ctx.encoderOptions, {
          db: target.db,
          ddl: sql,
          tableChanges,
          source,
          nowMs: Date.now(),
        }),
      ]);
    }
    this.checkpoint(event.nextPosition);
  }

  private onTableMap(t: TableMapLike, event: AnyBinlogEvent): void | Promise<void> {
    if (!this.ctx.isCaptured(t.schemaName, t.tableName)) {
      // The cache follows the latest TABLE_MAP of each table id, as zongji's own does: should an
      // id ever name another table, that table's rows are not encoded as the captured one's.
      this.encoders.delete(t.tableId);
      return;
    }
    const signature = `${t.schemaName}.${t.tableName}|${(t.columnNames ?? []).join(',')}|${t.columnTypes.join(',')}|${JSON.stringify(t.columnsMetadata)}`;
    if (this.encoders.get(t.tableId)?.signature === signature) return;
    if (!t.columnNames || t.columnNames.length !== t.columnCount)
      throw new ConnectorError(
        'CONNECTOR_ERR_SERVER',
        `TABLE_MAP for ${t.schemaName}.${t.tableName} carries no column names: the server must run with binlog_row_metadata=FULL`,
      );
    const key = `${t.schemaName}.${t.tableName}`;
    const build = () => {
      const def = tableDefFromTableMap(t as never, this.described.get(key));
      let encoder: TableEncoder;
      try {
        encoder = createTableEncoder(def, this.ctx.encoderOptions, this.ctx.columns.valueColumns(def));
      } catch (err) {
        // Where the stream stopped: the TABLE_MAP of the rows that met the column.
        if (err instanceof ConnectorError && err.code === 'CONNECTOR_ERR_UNSUPPORTED_COLUMN')
          err.context.position = this.position(this.startOf(event));
        throw err;
      }
      this.encoders.set(t.tableId, { signature, def, encoder });
    };
    if (this.described.has(key)) return build();
    // Defaults are not in the binlog: the table's current definition supplies them where it agrees with the binlog's.
    return this.ctx.describe(t.schemaName, t.tableName).then((d) => {
      this.described.set(key, d);
      build();
    });
  }

  private onRows(r: RowsLike, event: AnyBinlogEvent): void {
    const entry = this.encoders.get(r.tableId);
    if (!entry) return; // a table we do not capture
    const { encoder, def } = entry;
    const tx = this.tx;
    const pos = this.startOf(event);
    const now = Date.now();
    const type = event.getTypeName();
    const out: OutMessage[] = [];
    const collection = `${def.db}.${def.table}`;
    const tombstones = this.ctx.config['tombstones.on.delete'];
    const withTx = this.ctx.config['provide.transaction.metadata'] && tx !== undefined;
    const txInfo = (): TransactionInfo | null => {
      if (!withTx || !tx) return null;
      tx.events++;
      const n = (tx.perTable.get(collection) ?? 0) + 1;
      tx.perTable.set(collection, n);
      return { id: tx.id, totalOrder: tx.events, dataCollectionOrder: n };
    };
    for (let i = 0; i < r.rows.length; i++) {
      const source: SourceInfo = {
        tsMs: event.timestamp,
        snapshot: 'false',
        db: def.db,
        table: def.table,
        serverId: tx?.serverId ?? this.ctx.sourceServerId,
        gtid: tx?.gtid ?? null,
        file: this.file,
        pos,
        row: i,
        thread: tx?.thread ?? null,
        query: this.ctx.config['include.query'] ? this.query : null,
      };
      const row = r.rows[i] as Record<string, unknown>;
      if (type === 'WriteRows') {
        out.push({
          topic: encoder.topic,
          key: encoder.key(row, 'binlog'),
          value: encoder.change('c', null, row, 'binlog', source, txInfo(), now),
        });
      } else if (type === 'DeleteRows') {
        const key = encoder.key(row, 'binlog');
        out.push({
          topic: encoder.topic,
          key,
          value: encoder.change('d', row, null, 'binlog', source, txInfo(), now),
        });
        if (tombstones) out.push({ topic: encoder.topic, key, value: null });
      } else {
        const { before, after } = row as unknown as {
          before: Record<string, unknown>;
          after: Record<string, unknown>;
        };
        const oldKey = encoder.key(before, 'binlog');
        const newKey = encoder.key(after, 'binlog');
        if (oldKey === newKey) {
          out.push({
            topic: encoder.topic,
            key: newKey,
            value: encoder.change('u', before, after, 'binlog', source, txInfo(), now),
          });
        } else {
          // A primary-key change is a delete of the old key and a create of the new one, as Debezium
          // sends it, each naming the other key in a header (the key as the key converter writes it).
          out.push({
            topic: encoder.topic,
            key: oldKey,
            value: encoder.change('d', before, null, 'binlog', source, txInfo(), now),
            ...(newKey !== null ? { headers: { '__debezium.newkey': newKey } } : {}),
          });
          if (tombstones) out.push({ topic: encoder.topic, key: oldKey, value: null });
          out.push({
            topic: encoder.topic,
            key: newKey,
            value: encoder.change('c', null, after, 'binlog', source, txInfo(), now),
            ...(oldKey !== null ? { headers: { '__debezium.oldkey': oldKey } } : {}),
          });
        }
      }
    }
    this.ctx.status.lastEventTsMs = event.timestamp;
    this.ctx.status.readPosition = this.position(event.nextPosition);
    this.emit(out);
  }

  private commit(nextPosition: number): void {
    const tx = this.tx;
    this.tx = undefined;
    if (tx?.gtid) this.gtids.add(tx.gtid);
    if (tx && this.ctx.config['provide.transaction.metadata']) {
      this.emit([
        transactionMessage(this.ctx.encoderOptions, {
          status: 'END',
          id: tx.id,
          eventCount: tx.events,
          dataCollections: [...tx.perTable].map(([dataCollection, eventCount]) => ({
            dataCollection,
            eventCount,
          })),
          tsMs: tx.tsMs,
        }),
      ]);
    }
    this.checkpoint(nextPosition);
  }

  private checkpoint(nextPosition: number): void {
    const position = this.position(nextPosition);
    this.ctx.status.readPosition = position;
    this.ctx.publisher.push([], { position, snapshotCompleted: true });
  }

  /** Heartbeats let a consumer see the connector alive on quiet tables. */
  heartbeat(): void {
    if (this.halted) return;
    this.emit([heartbeatMessage(this.ctx.encoderOptions, Date.now())]);
  }

  private emit(messages: OutMessage[]): void {
    if (messages.length > 0) this.ctx.publisher.push(messages);
  }
}

interface QueryLike {
  query: string;
  schema: string;
  slaveProxyId: number;
}
interface TableMapLike {
  tableId: number;
  schemaName: string;
  tableName: string;
  columnCount: number;
  columnTypes: number[];
  columnsMetadata: unknown[];
  columnNames?: string[];
}
interface RowsLike {
  tableId: number;
  rows: unknown[];
}
