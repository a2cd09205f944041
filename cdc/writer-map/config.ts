import { z } from 'zod';
import { databaseName, kafkaBrokers, loadConfig, port } from '../../lib/config.ts';
import { loadKafkaSecurity } from '../../lib/kafka-security.ts';

const shape = {
  /** HTTP port of GET /writers. */
  port: port(8084),
  host: z.string().min(1).default('127.0.0.1'),
  /** The writer map's own database (created when missing) on the MYSQL_URL server. */
  database: databaseName.default('strangler_writers'),
  brokers: kafkaBrokers(),
  /** Debezium topic.prefix of the connector (a real Debezium's too). */
  topicPrefix: z
    .string()
    .regex(/^[A-Za-z0-9._-]{1,100}$/, 'must be a Kafka topic part: letters, digits, . _ - (e.g. legacy)')
    .default('legacy'),
  /** The legacy database whose tables are watched. */
  sourceDatabase: databaseName.default('shop'),
  /** Tables to watch, comma-separated; default every table of the source database but knex's bookkeeping. */
  tables: z
    .string()
    .regex(
      /^[A-Za-z0-9_$]{1,64}(,[A-Za-z0-9_$]{1,64})*$/,
      'must be table names, comma-separated: products,inventory',
    )
    .optional()
    .transform((v) => v?.split(',')),
  /** Base URLs of services that can own tables (GET /writes/ownership), comma-separated: their second writers are marked. */
  ownershipUrls: z
    .string()
    .regex(
      /^https?:\/\/[^\s,]+(,https?:\/\/[^\s,]+)*$/,
      'must be http:// URLs, comma-separated: http://127.0.0.1:3101',
    )
    .optional()
    .transform((v) => v?.split(',') ?? []),
  /** Default `writer-map.<prefix>.<SHOP_DB>`: two writer maps of different streams on one Kafka never share a group. */
  groupId: z.string().min(1).max(200).optional(),
};

export type WriterMapConfig = ReturnType<typeof loadWriterMapConfig>;

/**
 * env WRITERS_PORT (8084), WRITERS_HOST, WRITERS_DB (strangler_writers), KAFKA_BROKERS,
 * CDC_TOPIC_PREFIX (legacy), SHOP_DB (shop), WRITERS_TABLES, WRITERS_GROUP_ID
 * (writer-map.<prefix>.<SHOP_DB>), WRITERS_OWNERSHIP_URLS, the Kafka security variables
 * (lib/kafka-security.ts);
 * MYSQL_URL as every component.
 */
export function loadWriterMapConfig(env: NodeJS.ProcessEnv = process.env) {
  const config = loadConfig(
    'writer-map',
    shape,
    {
      port: 'WRITERS_PORT',
      host: 'WRITERS_HOST',
      database: 'WRITERS_DB',
      brokers: 'KAFKA_BROKERS',
      topicPrefix: 'CDC_TOPIC_PREFIX',
      sourceDatabase: 'SHOP_DB',
      tables: 'WRITERS_TABLES',
      groupId: 'WRITERS_GROUP_ID',
      ownershipUrls: 'WRITERS_OWNERSHIP_URLS',
    },
    {},
    env,
  );
  return {
    ...config,
    groupId: config.groupId ?? `writer-map.${config.topicPrefix}.${config.sourceDatabase}`,
    kafkaSecurity: loadKafkaSecurity('writer-map', env),
  };
}
