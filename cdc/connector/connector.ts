import type http from 'node:http';
import mysql from 'mysql2/promise';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import type { Logger } from '../../lib/log.ts';
import { settledWithin } from '../../lib/timeout.ts';
import { BinlogStream } from './binlog-stream.ts';
import { columnPolicy } from './column-policy.ts';
import { type ConnectorConfig, nameFilter } from './config.ts';
import { readTableDefs } from './encoding/index.ts';
import type { EncoderOptions, TableDef } from './encoding/types.ts';
import { ConnectorError } from './errors.ts';
import { connectorRegistry } from './metrics.ts';
import { type BinlogPosition, OffsetsFile, type StoredOffsets } from './offsets.ts';
import { type Checkpoint, Publisher } from './publisher.ts';
import { runSnapshot } from './snapshot.ts';
import { assertPositionUsable, currentPosition, inspectServer } from './source-server.ts';
import { type ConnectorState, ConnectorStatus, startStatusServer } from './status.ts';

/** The Debezium release whose output this connector reproduces (source.version). */
export const DEBEZIUM_VERSION = '3.4.0.Final';

export interface RunningConnector {
  status: ConnectorStatus;
  /**
   * Resolves when the connector fails; the process should exit then. A halt on an alarm
   * (state `halted`, CONNECTOR_ERR_UNSUPPORTED_COLUMN) does not resolve it: the process stays
   * up and says why on /health and /status, since a restart would halt at the same event.
   */
  failed: Promise<Error>;
  stop(): Promise<void>;
}

/**
 * Start-up order matters for "a bad configuration stops at start": everything that can be
 * wrong with the server, the include lists or the stored offsets is checked before the status
 * endpoint answers healthy.
 */
export async function startConnector(config: ConnectorConfig, log: Logger): Promise<RunningConnector> {
  const url = config.mysqlUrl ?? (await resolveServerUrl()).url;
  const server = await inspectServer(url);
  const status = new ConnectorStatus();
  status.connector = server.flavour;
  const dbFilter = nameFilter(config['database.include.list']);
  const tableFilter = nameFilter(config['table.include.list'], config['table.exclude.list']);
  const isCaptured = (db: string, table: string) => dbFilter(db) && tableFilter(`${db}.${table}`);

  const admin = await mysql.createConnection(url);
  const closeAdmin = () => admin.end().catch(() => undefined);
  let offsets: OffsetsFile;
  let stored: Awaited<ReturnType<OffsetsFile['read']>>;
  try {
    await assertIncludeListsMatch(admin, config);
    offsets = new OffsetsFile(config.offsetsDir, config['topic.prefix']);
    stored = await offsets.read();
    if (stored?.offset.snapshot_completed) {
      const position = storedPosition(stored);
      try {
        await assertPositionUsable(url, server.flavour, position, offsets.file);
      } catch (err) {
        const unusable =
          err instanceof ConnectorError &&
          (err.code === 'CONNECTOR_ERR_OFFSET_PURGED' || err.code === 'CONNECTOR_ERR_OFFSET_MISMATCH');
        if (!unusable || config['snapshot.mode'] !== 'when_needed') throw err;
        log.warn(
          { position, reason: err.message },
          'stored position unusable: snapshot.mode=when_needed, re-snapshotting',
        );
        stored = undefined;
      }
    }
  } catch (err) {
    await closeAdmin();
    throw err;
  }

  const encoderOptions: EncoderOptions = {
    topicPrefix: config['topic.prefix'],
    connectorName: server.flavour,
    version: DEBEZIUM_VERSION,
    decimalHandlingMode: config['decimal.handling.mode'],
    timePrecisionMode: config['time.precision.mode'],
    bigintUnsignedHandlingMode: config['bigint.unsigned.handling.mode'],
    binaryHandlingMode: config['binary.handling.mode'],
    keySchemasEnable: config['key.converter.schemas.enable'],
    valueSchemasEnable: config['value.converter.schemas.enable'],
  };

  let latest: Checkpoint | undefined;
  let written: Checkpoint | undefined;
  let writing: Promise<void> = Promise.resolve();
  const flushOffsets = () => {
    writing = writing.then(async () => {
      const c = latest;
      if (!c || c === written) return;
      await offsets.write(config['topic.prefix'], c.position, c.snapshotCompleted);
      written = c;
    });
    return writing;
  };
  const publisher = new Publisher(config.kafkaBrokers, {
    clientId: `strangler-connector-${config['topic.prefix']}`,
    security: config.kafkaSecurity,
    maxBatch: config['max.batch.size'],
    maxQueue: config['max.queue.size'],
    log,
    compression: config['compression.type'],
    headers: {
      '__debezium.context.connectorLogicalName': config['topic.prefix'],
      '__debezium.context.taskId': '0',
      '__debezium.context.connectorName': config.name,
    },
    onCheckpoint: (c) => {
      latest = c;
      status.position = c.position;
    },
    onAcked: (n) => status.recordAcked(n),
  });

  let fail!: (err: Error) => void;
  const failed = new Promise<Error>((resolve) => {
    fail = resolve;
  });
  const onFatal = (err: Error) => {
    if (status.state === 'failed' || status.state === 'stopping' || status.state === 'halted') return;
    if (err instanceof ConnectorError && err.code === 'CONNECTOR_ERR_UNSUPPORTED_COLUMN') return halt(err);
    status.state = 'failed';
    status.error = err.message;
    log.error({ err }, 'connector failed');
    fail(err);
  };

  /**
   * Stops reading at the event that met the column and stays up with the alarm. What was read
   * before it still goes to Kafka; the stored offset never passes the event (checkpoints are
   * transaction ends), so a restart with the column skipped or excluded resumes right there.
   */
  const halt = (err: ConnectorError) => {
    status.state = 'halted';
    stream.halt();
    for (const t of heartbeats.splice(0)) clearInterval(t);
    const c = err.context as { table?: string; column?: string; type?: string; position?: BinlogPosition };
    status.alarm = {
      code: err.code,
      message: err.message,
      table: c.table,
      column: c.column,
      type: c.type,
      position: c.position ?? null,
      resumeFrom: written?.position ?? null,
      since: new Date().toISOString(),
    };
    log.error({ alarm: status.alarm }, `connector halted: ${err.message}`);
    void publisher
      .drain()
      .then(() => flushOffsets())
      .then(() => {
        if (status.alarm) status.alarm.resumeFrom = written?.position ?? null;
      })
      .catch((e: Error) =>
        log.error({ err: e }, 'halted: could not write the offsets read before the alarm'),
      );
  };

  let serverEnd: { at: number; position: BinlogPosition | null } = { at: 0, position: null };
  const readServerEnd = async () => {
    if (Date.now() - serverEnd.at > 500) {
      serverEnd = {
        at: Date.now(),
        position: await currentPosition(admin, server.flavour).catch(() => null),
      };
    }
    return serverEnd.position;
  };
  const snapshotStatus = async () =>
    status.toJSON(await readServerEnd(), publisher.size, publisher.lastError);
  const statusServer: http.Server = await startStatusServer(
    config.host,
    config.port,
    async () => ({
      failed: status.state === 'failed' || status.state === 'halted',
      state: status.state,
      alarm: status.alarm,
      status: await snapshotStatus(),
    }),
    connectorRegistry(snapshotStatus),
  );

  const describe = async (db: string, table: string): Promise<TableDef | undefined> => {
    const defs = await readTableDefs(admin, db, [table]).catch(() => []);
    return defs[0];
  };
  const columns = columnPolicy(config, log);
  const stream = new BinlogStream({
    url,
    config,
    encoderOptions,
    publisher,
    status,
    log,
    columns,
    sourceServerId: server.serverId,
    isCaptured,
    includedDatabases: dbFilter,
    describe,
    onFatal,
  });

  const timers: NodeJS.Timeout[] = [];
  const heartbeats: NodeJS.Timeout[] = [];
  const run = async () => {
    await publisher.connect();
    timers.push(
      setInterval(() => void flushOffsets().catch(onFatal), config['offset.flush.interval.ms'] || 1000),
    );
    let from: BinlogPosition;
    if (stored?.offset.snapshot_completed) {
      from = storedPosition(stored);
      status.snapshot.completed = true;
      log.info({ from }, 'resuming from stored offsets');
    } else if (config['snapshot.mode'] === 'never') {
      from = await currentPosition(admin, server.flavour);
      publisher.push([], { position: from, snapshotCompleted: true });
      log.info({ from }, 'snapshot.mode=never: streaming from the binlog end');
    } else {
      status.state = 'snapshot';
      from = await runSnapshot(snapshotContext(), config['snapshot.mode'] !== 'no_data');
      publisher.push([], { position: from, snapshotCompleted: true });
      await publisher.drain();
      await flushOffsets();
      log.info({ from, rows: status.snapshot.rowsDone }, 'snapshot done');
    }
    status.position = from;
    status.readPosition = from;
    if (status.state === 'failed' || status.state === 'stopping' || status.state === 'halted') return;
    await stream.start(from);
    // A table map met in the first events may already have halted it.
    if ((status.state as ConnectorState) === 'halted') return;
    status.state = 'streaming';
    if (config['heartbeat.interval.ms'] > 0)
      heartbeats.push(setInterval(() => stream.heartbeat(), config['heartbeat.interval.ms']));
  };
  const snapshotContext = () => ({
    url,
    server,
    config,
    encoderOptions,
    publisher,
    status,
    log,
    columns,
    listTables: async (conn: mysql.Connection) =>
      (await listTables(conn)).filter((t) => isCaptured(t.db, t.table)),
  });
  run().catch((err) => onFatal(err as Error));

  return {
    status,
    failed,
    stop: async () => {
      if (status.state !== 'failed') status.state = 'stopping';
      for (const t of [...timers, ...heartbeats]) clearInterval(t);
      stream.stop();
      // What is already read goes out and is recorded; nothing new is read.
      await settledWithin(publisher.drain(), 10_000);
      await flushOffsets().catch((err) => log.error({ err }, 'could not write offsets at shutdown'));
      await publisher.close();
      await closeAdmin();
      await new Promise((r) => statusServer.close(r));
    },
  };
}

const storedPosition = (stored: StoredOffsets): BinlogPosition => ({
  file: stored.offset.file,
  pos: stored.offset.pos,
  gtids: stored.offset.gtids ?? null,
});

async function listTables(conn: mysql.Connection): Promise<{ db: string; table: string }[]> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>(
    "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS t FROM information_schema.TABLES WHERE TABLE_TYPE = 'BASE TABLE' AND TABLE_SCHEMA NOT IN ('mysql', 'information_schema', 'performance_schema', 'sys')",
  );
  return rows.map((r) => ({ db: String(r.db), table: String(r.t) }));
}

/** An include-list entry that matches nothing is a typo or a missing table: refuse to start rather than capture nothing. */
async function assertIncludeListsMatch(conn: mysql.Connection, config: ConnectorConfig): Promise<void> {
  const tables = await listTables(conn);
  const [dbRows] = await conn.query<mysql.RowDataPacket[]>(
    'SELECT SCHEMA_NAME AS db FROM information_schema.SCHEMATA',
  );
  const dbs = dbRows.map((r) => String(r.db));
  for (const entry of config['database.include.list'] ?? []) {
    const matches = nameFilter([entry]);
    if (!dbs.some(matches))
      throw new ConnectorError(
        'CONNECTOR_ERR_UNKNOWN_TABLE',
        `database.include.list entry '${entry}' matches no database on the server (it has: ${dbs.filter((d) => !/^(mysql|information_schema|performance_schema|sys)$/.test(d)).join(', ') || 'none'})`,
      );
  }
  for (const entry of config['table.include.list'] ?? []) {
    const matches = nameFilter([entry]);
    if (!tables.some((t) => matches(`${t.db}.${t.table}`)))
      throw new ConnectorError(
        'CONNECTOR_ERR_UNKNOWN_TABLE',
        `table.include.list entry '${entry}' matches no table (entries are regular expressions over <database>.<table>, e.g. shop\\.products)`,
      );
  }
}
