import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { boolFlag, envValue, loadConfig, port } from '../../lib/config.ts';
import { dataRoot } from '../../lib/database/data-root.ts';
import { type KafkaSecurity, loadKafkaSecurity } from '../../lib/kafka-security.ts';
import { ConnectorError } from './errors.ts';

/**
 * Connector settings under Debezium's property names and defaults, so a team can carry the
 * same configuration to a real Debezium connector. Sources, lowest first: defaults, the JSON
 * file named by CONNECTOR_CONFIG (`{"topic.prefix": "legacy", …}`, the `config` block of a Kafka
 * Connect connector works as is), then environment variables `CDC_<NAME>` (dots → underscores,
 * upper case). A few deployment settings keep the toolkit's shared env names (MYSQL_URL,
 * KAFKA_BROKERS, SHOP_DB, CONNECTOR_PORT).
 */
const list = z
  .string()
  .transform((s) =>
    s
      .split(',')
      .map((p) => p.trim())
      .filter((p) => p.length > 0),
  )
  .pipe(
    z.array(
      z.string().refine((p) => {
        try {
          new RegExp(`^(?:${p})$`);
          return true;
        } catch {
          return false;
        }
      }, 'not a valid regular expression'),
    ),
  );
const ms = (fallback: number) => z.coerce.number().int().min(0).max(86_400_000).default(fallback);

const shape = {
  /** Server URL (no database); unset → the toolkit's private MariaDB. */
  mysqlUrl: z.string().min(1).optional(),
  kafkaBrokers: z
    .string()
    .default('127.0.0.1:9092')
    .transform((s) => s.split(',').map((b) => b.trim()))
    .pipe(z.array(z.string().regex(/^[^:\s]+:\d+$/, 'expected host:port[,host:port…]')).min(1)),
  port: port(8083),
  host: z.string().min(1).default('127.0.0.1'),
  offsetsDir: z
    .string()
    .min(1)
    .default(() => path.join(dataRoot(), 'connector')),
  /** Kafka Connect's connector name (the `__debezium.context.connectorName` header). */
  name: z.string().min(1).default('strangler-connector'),
  'topic.prefix': z
    .string()
    .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, ".", "_" and "-" only (it becomes part of topic names)')
    .default('legacy'),
  'database.server.id': z.coerce.number().int().min(1).max(4_294_967_295).default(184054),
  'database.include.list': list.optional(),
  'table.include.list': list.optional(),
  'table.exclude.list': list.default(['.*\\.knex_migrations', '.*\\.knex_migrations_lock']),
  /** Debezium's column.exclude.list: regular expressions over <database>.<table>.<column>, left out of event values. */
  'column.exclude.list': list.default([]),
  /**
   * What a column of a type the connector does not encode does: `fail` halts streaming with an
   * alarm on /health and /status (the process stays up, the offsets stay before the event);
   * `skip` leaves the column out of the events with a warning, once per table definition.
   */
  unsupportedColumns: z.enum(['fail', 'skip']).default('fail'),
  /** Column types (information_schema DATA_TYPE names) to treat as unsupported, e.g. `point,geometry`. */
  unsupportedTypes: z
    .string()
    .default('')
    .transform((s) =>
      s
        .split(',')
        .map((p) => p.trim().toLowerCase())
        .filter((p) => p.length > 0),
    )
    .pipe(z.array(z.string().regex(/^[a-z][a-z0-9_ ]*$/, 'a column type name such as point or geometry'))),
  'snapshot.mode': z.enum(['initial', 'never', 'when_needed', 'no_data']).default('initial'),
  'snapshot.fetch.size': z.coerce.number().int().min(1).max(1_000_000).default(2000),
  'decimal.handling.mode': z.enum(['precise', 'string', 'double']).default('precise'),
  // Debezium's MySQL and MariaDB connectors refuse `adaptive` ("no longer supported"): a
  // configuration this connector took would then not start a real Debezium.
  'time.precision.mode': z
    .enum(['adaptive_time_microseconds', 'connect'], {
      error: "adaptive_time_microseconds or connect ('adaptive' is no longer supported, as in Debezium)",
    })
    .default('adaptive_time_microseconds'),
  'bigint.unsigned.handling.mode': z.enum(['long', 'precise']).default('long'),
  'binary.handling.mode': z.enum(['bytes', 'base64', 'base64-url-safe', 'hex']).default('bytes'),
  'tombstones.on.delete': boolFlag(true),
  'provide.transaction.metadata': boolFlag(false),
  'heartbeat.interval.ms': ms(0),
  'include.schema.changes': boolFlag(true),
  'include.query': boolFlag(false),
  'offset.flush.interval.ms': ms(1000),
  'key.converter.schemas.enable': boolFlag(true),
  'value.converter.schemas.enable': boolFlag(true),
  /** Kafka producer compression (Kafka Connect's producer.compression.type); see docs/connector.md for the default. */
  'compression.type': z.enum(['none', 'gzip']).default('gzip'),
  /** Events produced per Kafka request at most; larger batches amortise the round trip. */
  'max.batch.size': z.coerce.number().int().min(1).max(100_000).default(4096),
  /** Events held in memory before the binlog reader or the snapshot pauses. */
  'max.queue.size': z.coerce.number().int().min(1).max(1_000_000).default(16_384),
};

export type ConnectorConfig = Readonly<
  z.infer<z.ZodObject<typeof shape>> & {
    /** KAFKA_SECURITY_PROTOCOL, KAFKA_SSL_*, KAFKA_SASL_* (lib/kafka-security.ts); unset = PLAINTEXT. */
    kafkaSecurity?: KafkaSecurity;
  }
>;

const envName = (key: string) => `CDC_${key.replace(/\./g, '_').toUpperCase()}`;
const envNames = Object.fromEntries(Object.keys(shape).map((k) => [k, envName(k)])) as Record<
  keyof typeof shape,
  string
>;
Object.assign(envNames, {
  mysqlUrl: 'MYSQL_URL',
  kafkaBrokers: 'KAFKA_BROKERS',
  port: 'CONNECTOR_PORT',
  host: 'CONNECTOR_HOST',
  offsetsDir: 'CONNECTOR_OFFSETS_DIR',
  name: 'CONNECTOR_NAME',
  unsupportedColumns: 'CONNECTOR_UNSUPPORTED_COLUMNS',
  unsupportedTypes: 'CONNECTOR_UNSUPPORTED_TYPES',
});

/** Properties of the file that are not ours are refused: a typo must not pass silently. */
function readConfigFile(file: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ConnectorError(
      'CONNECTOR_ERR_CONFIG_FILE',
      `CONNECTOR_CONFIG=${file}: ${(err as Error).message}`,
    );
  }
  if (parsed && typeof parsed === 'object' && 'config' in parsed)
    parsed = (parsed as { config: unknown }).config;
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new ConnectorError(
      'CONNECTOR_ERR_CONFIG_FILE',
      `CONNECTOR_CONFIG=${file}: expected a JSON object of properties`,
    );
  return parsed as Record<string, unknown>;
}

/** Kafka Connect / Debezium properties we accept in a file but that do not change what we do. */
const ignoredFileKeys =
  /^(connector\.class|tasks\.max|name|database\.(hostname|port|user|password)|schema\.history\..*|key\.converter|value\.converter)$/;

export function loadConnectorConfig(env: NodeJS.ProcessEnv = process.env): ConnectorConfig {
  const file = envValue('CONNECTOR_CONFIG', env);
  const merged: NodeJS.ProcessEnv = { ...env };
  if (file) {
    const props = readConfigFile(file);
    const unknown = Object.keys(props).filter((k) => !(k in shape) && !ignoredFileKeys.test(k));
    if (unknown.length > 0)
      throw new ConnectorError(
        'CONNECTOR_ERR_CONFIG_FILE',
        `CONNECTOR_CONFIG=${file}: unknown propert${unknown.length === 1 ? 'y' : 'ies'} ${unknown.join(', ')}`,
      );
    for (const [key, value] of Object.entries(props)) {
      const name = envNames[key as keyof typeof shape];
      if (name && merged[name] === undefined) merged[name] = String(value);
    }
  }
  // The shop's database is the default capture set, as the rest of the toolkit names it.
  if (merged[envNames['database.include.list']] === undefined)
    merged[envNames['database.include.list']] = envValue('SHOP_DB', env) ?? 'shop';
  if (merged[envNames['database.server.id']] === undefined && envValue('CONNECTOR_SERVER_ID', env))
    merged[envNames['database.server.id']] = envValue('CONNECTOR_SERVER_ID', env);
  const config = loadConfig('cdc connector', shape, envNames, {}, merged);
  return Object.freeze({ ...config, kafkaSecurity: loadKafkaSecurity('cdc connector', env) });
}

/** Debezium's include/exclude semantics: each entry is a regular expression matched against the whole name. */
export function nameFilter(
  include: readonly string[] | undefined,
  exclude: readonly string[] = [],
): (name: string) => boolean {
  const inc = include?.map((p) => new RegExp(`^(?:${p})$`, 'i'));
  const exc = exclude.map((p) => new RegExp(`^(?:${p})$`, 'i'));
  return (name) => (!inc || inc.some((r) => r.test(name))) && !exc.some((r) => r.test(name));
}
