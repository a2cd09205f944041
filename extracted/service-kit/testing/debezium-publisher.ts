import type { Producer } from 'kafkajs';
import type { Knex } from 'knex';
import mysql from 'mysql2/promise';

/**
 * Writes shop rows to Kafka as a Debezium 3.4 MariaDB connector with JsonConverter
 * (schemas.enable=true, decimal.handling.mode=precise) would: envelope, key struct, source
 * block, logical types. Used to test the services on the documented format independently of
 * this project's connector (which the e2e suite uses), and by the extracted bench to pre-produce
 * events; it lives beside the service kit rather than under test/ so that scripts may use it too.
 */
type Kind = 'int32' | 'int64' | 'string' | 'decimal' | 'datetime' | 'timestamp' | 'enum' | 'text';
const shopColumns: Record<string, [string, Kind][]> = {
  users: [
    ['id', 'int64'],
    ['email', 'string'],
    ['name', 'string'],
    ['created_at', 'datetime'],
  ],
  products: [
    ['id', 'int64'],
    ['sku', 'string'],
    ['name', 'string'],
    ['description', 'string'],
    ['price', 'decimal'],
    ['category', 'string'],
    ['attributes', 'string'],
    ['created_at', 'datetime'],
    ['updated_at', 'timestamp'],
  ],
  inventory: [
    ['product_id', 'int64'],
    ['stock', 'int32'],
    ['updated_at', 'timestamp'],
  ],
  orders: [
    ['id', 'int64'],
    ['user_id', 'int64'],
    ['status', 'enum'],
    ['total', 'decimal'],
    ['currency', 'string'],
    ['created_at', 'datetime'],
    ['updated_at', 'timestamp'],
  ],
  order_items: [
    ['order_id', 'int64'],
    ['line_no', 'int32'],
    ['product_id', 'int64'],
    ['quantity', 'int32'],
    ['unit_price', 'decimal'],
  ],
  payments: [
    ['id', 'int64'],
    ['order_id', 'int64'],
    ['amount', 'decimal'],
    ['method', 'enum'],
    ['status', 'enum'],
    ['created_at', 'datetime'],
  ],
};
const keyColumns: Record<string, string[]> = {
  inventory: ['product_id'],
  order_items: ['order_id', 'line_no'],
};

function fieldSchema(name: string, kind: Kind) {
  const base = { optional: name !== 'id', field: name };
  switch (kind) {
    case 'decimal':
      return {
        type: 'bytes',
        ...base,
        name: 'org.apache.kafka.connect.data.Decimal',
        version: 1,
        parameters: { scale: '2' },
      };
    case 'datetime':
      return { type: 'int64', ...base, name: 'io.debezium.time.Timestamp', version: 1 };
    case 'timestamp':
      return { type: 'string', ...base, name: 'io.debezium.time.ZonedTimestamp', version: 1 };
    case 'enum':
      return {
        type: 'string',
        ...base,
        name: 'io.debezium.data.Enum',
        version: 1,
        parameters: { allowed: 'x' },
      };
    default:
      return { type: kind === 'text' ? 'string' : kind, ...base };
  }
}

function decimalBytes(text: string): string {
  let unscaled = BigInt(text.replace('.', ''));
  const negative = unscaled < 0n;
  if (negative) unscaled = -unscaled;
  let hex = unscaled.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, 'hex');
  if (bytes[0]! & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  if (negative) throw new Error('negative money is not in the shop');
  return bytes.toString('base64');
}

function encode(kind: Kind, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  switch (kind) {
    case 'decimal':
      return decimalBytes(String(value));
    case 'datetime':
      return (value as Date).getTime();
    case 'timestamp':
      return (value as Date).toISOString();
    case 'int32':
    case 'int64':
      return Number(value);
    default:
      return typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
}

export interface Position {
  file: string;
  pos: number;
  row?: number;
  snapshot?: boolean;
}

export function debeziumMessage(
  prefix: string,
  db: string,
  table: string,
  op: 'c' | 'u' | 'd' | 'r',
  row: Record<string, unknown>,
  position: Position,
  options: { schemas?: boolean } = {},
) {
  const columns = shopColumns[table]!;
  const valueSchema = {
    type: 'struct',
    optional: true,
    name: `${prefix}.${db}.${table}.Value`,
    fields: columns.map(([n, k]) => fieldSchema(n, k)),
  };
  const image = Object.fromEntries(columns.map(([n, k]) => [n, encode(k, row[n])]));
  const keys = keyColumns[table] ?? ['id'];
  const key = {
    schema: {
      type: 'struct',
      optional: false,
      name: `${prefix}.${db}.${table}.Key`,
      fields: keys.map((k) => ({ type: 'int64', optional: false, field: k })),
    },
    payload: Object.fromEntries(keys.map((k) => [k, Number(row[k])])),
  };
  const value = {
    schema: {
      type: 'struct',
      optional: false,
      name: `${prefix}.${db}.${table}.Envelope`,
      version: 2,
      fields: [
        { ...valueSchema, field: 'before' },
        { ...valueSchema, field: 'after' },
        {
          type: 'struct',
          optional: false,
          name: 'io.debezium.connector.mariadb.Source',
          field: 'source',
          fields: [],
        },
        { type: 'string', optional: false, field: 'op' },
      ],
    },
    payload: {
      before: op === 'd' ? image : null,
      after: op === 'd' ? null : image,
      source: {
        version: '3.4.0.Final',
        connector: 'mariadb',
        name: prefix,
        ts_ms: Date.now(),
        snapshot: position.snapshot ? 'true' : 'false',
        db,
        sequence: null,
        table,
        server_id: position.snapshot ? 0 : 1,
        gtid: null,
        file: position.file,
        pos: position.pos,
        row: position.row ?? 0,
        thread: null,
        query: null,
      },
      transaction: null,
      op,
      ts_ms: Date.now(),
    },
  };
  // schemas.enable=false: the bare payloads; consumers need the column types from elsewhere.
  if (options.schemas === false)
    return { key: JSON.stringify(key.payload), value: JSON.stringify(value.payload) };
  return { key: JSON.stringify(key), value: JSON.stringify(value) };
}

/** Publishes every row of the shop tables as snapshot reads at `position`. */
export async function publishSnapshot(
  producer: Producer,
  knex: Knex,
  prefix: string,
  db: string,
  position: Position,
  options: { schemas?: boolean } = {},
): Promise<number> {
  let count = 0;
  for (const table of Object.keys(shopColumns)) {
    const rows = await knex(table).select();
    for (let i = 0; i < rows.length; i += 500) {
      await producer.send({
        topic: `${prefix}.${db}.${table}`,
        acks: -1,
        messages: rows
          .slice(i, i + 500)
          .map((row) =>
            debeziumMessage(prefix, db, table, 'r', row, { ...position, snapshot: true }, options),
          ),
      });
    }
    count += rows.length;
  }
  return count;
}

/**
 * The services dead-letter an event whose binlog position the source server has not written
 * (docs/consumer.md, Validation). Events made up by a test or a bench must therefore name
 * positions the source really has: this returns the source's newest binlog file after making
 * sure at least `bytes` are written in it (a padding row in a scratch database, dropped again),
 * so any `pos` up to `bytes` in that file is one the source has written.
 */
export async function writtenBinlog(serverUrl: string, bytes = 1_000_000): Promise<string> {
  const conn = await mysql.createConnection(serverUrl);
  try {
    const head = async () => {
      const [rows] = (await conn.query('SHOW MASTER STATUS')) as unknown as [
        { File: string; Position: number }[],
      ];
      if (!rows[0]) throw new Error('the source has no binary log (log_bin is off)');
      return { file: rows[0].File, pos: Number(rows[0].Position) };
    };
    for (let at = await head(); ; at = await head()) {
      if (at.pos >= bytes) return at.file;
      await conn.query('CREATE DATABASE IF NOT EXISTS strangler_binlog_padding');
      await conn.query(
        'CREATE TABLE IF NOT EXISTS strangler_binlog_padding.pad (id INT AUTO_INCREMENT PRIMARY KEY, b LONGBLOB)',
      );
      await conn.query('INSERT INTO strangler_binlog_padding.pad (b) VALUES (REPEAT(?, ?))', [
        'x',
        Math.min(8_000_000, bytes - at.pos + 1024),
      ]);
      await conn.query('DELETE FROM strangler_binlog_padding.pad');
    }
  } finally {
    await conn.end();
  }
}
