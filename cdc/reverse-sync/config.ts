import { z } from 'zod';
import { databaseName, kafkaBrokers, loadConfig, port } from '../../lib/config.ts';

const httpUrl = z.string().regex(/^https?:\/\/[^\s]+$/, 'must be an http:// URL, e.g. http://127.0.0.1:3101');

/**
 * The reverse applier's settings. The service's entry point passes what it knows (its store
 * database, its default topic prefix); everything else has the toolkit's defaults:
 * env REVERSE_PORT (8086), REVERSE_HOST, REVERSE_STATE_DB (strangler_reverse), KAFKA_BROKERS,
 * REVERSE_TOPIC_PREFIX (<service>-store), REVERSE_STORE_DB, SHOP_DB (shop), REVERSE_GROUP_ID
 * (reverse-sync.<prefix>.<store db>), REVERSE_CONNECTOR_URL, REVERSE_SERVICE_URL,
 * REVERSE_STORE_MYSQL_URL (default MYSQL_URL), MYSQL_URL.
 */
function shape(defaults: { topicPrefix: string; storeDatabase: string }) {
  return {
    port: port(8086),
    host: z.string().min(1).default('127.0.0.1'),
    /** The applier's positions, table states and offsets, on the legacy server (created when missing). */
    stateDatabase: databaseName.default('strangler_reverse'),
    brokers: kafkaBrokers(),
    /** topic.prefix of the connector that captures the service's store. */
    topicPrefix: z
      .string()
      .regex(
        /^[A-Za-z0-9._-]{1,100}$/,
        'must be a Kafka topic part: letters, digits, . _ - (e.g. catalog-store)',
      )
      .default(defaults.topicPrefix),
    /** The service's store database (what its change events' source.db says). */
    storeDatabase: databaseName.default(defaults.storeDatabase),
    /** The legacy database the mapped rows go to. */
    legacyDatabase: databaseName.default('shop'),
    groupId: z.string().min(1).max(200).optional(),
    /** The store connector's base URL: its acknowledged position says how far the store's binlog is in Kafka. */
    connectorUrl: httpUrl.optional(),
    /** The service's base URL: its second-writer alarms are shown in /status. */
    serviceUrl: httpUrl.optional(),
    /** The server holding the service's store (its binlog head is what "caught up" is measured against). */
    storeMysqlUrl: z
      .string()
      .regex(/^mysql:\/\/[^\s]+$/, 'must be a mysql:// URL, e.g. mysql://root@127.0.0.1:3306')
      .optional(),
  };
}

export type ReverseSyncConfig = ReturnType<typeof loadReverseSyncConfig>;

export function loadReverseSyncConfig(
  defaults: { topicPrefix: string; storeDatabase: string },
  env: NodeJS.ProcessEnv = process.env,
) {
  const config = loadConfig(
    'reverse-sync',
    shape(defaults),
    {
      port: 'REVERSE_PORT',
      host: 'REVERSE_HOST',
      stateDatabase: 'REVERSE_STATE_DB',
      brokers: 'KAFKA_BROKERS',
      topicPrefix: 'REVERSE_TOPIC_PREFIX',
      storeDatabase: 'REVERSE_STORE_DB',
      legacyDatabase: 'SHOP_DB',
      groupId: 'REVERSE_GROUP_ID',
      connectorUrl: 'REVERSE_CONNECTOR_URL',
      serviceUrl: 'REVERSE_SERVICE_URL',
      storeMysqlUrl: 'REVERSE_STORE_MYSQL_URL',
    },
    {},
    env,
  );
  return {
    ...config,
    groupId: config.groupId ?? `reverse-sync.${config.topicPrefix}.${config.storeDatabase}`,
  };
}
