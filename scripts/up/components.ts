import { z } from 'zod';
import { serviceConfigShape, topicFor } from '../../extracted/service-kit/service-config.ts';
import { envValue, loadConfig } from '../../lib/config.ts';
import { ConfigError } from '../../lib/errors.ts';

/**
 * What `npm start` runs, in start order. Each component is its own process. Ports come from
 * the same env names the components read themselves, so one override moves both.
 */
export interface ComponentSpec {
  name: string;
  script: string;
  args?: string[];
  port: number;
  /** HTTP health path polled until 2xx; absent for the broker, which speaks Kafka, not HTTP. */
  healthPath?: string;
  /**
   * Where readiness differs from health: the connector is started (and not to be restarted)
   * once it serves, even when it halted on a row it cannot encode and reports unhealthy.
   */
  readyPath?: string;
  /** Or a line the process prints once it listens. */
  readyLine?: string;
  /** Extra environment for this process only (node flags the component's npm script sets). */
  env?: Record<string, string>;
  /**
   * Legacy traffic goes through it (monolith, proxy): failing to start it stops npm start. The
   * others (broker, connector, services) may fail and are restarted while the rest serves.
   */
  essential?: boolean;
  /** Shown to the user once everything is up. */
  describe: (port: number) => string;
}

export const defaultPorts = {
  MONOLITH_PORT: 3000,
  CATALOG_PORT: 3101,
  ORDERS_PORT: 3102,
  BROKER_PORT: 9092,
  CONNECTOR_PORT: 8083,
  PROXY_PORT: 8080,
  PROXY_ADMIN_PORT: 8081,
  WRITERS_PORT: 8084,
  STORE_CONNECTOR_PORT: 8085,
  REVERSE_PORT: 8086,
} as const;

export type PortName = keyof typeof defaultPorts;

export function portOf(env: NodeJS.ProcessEnv, name: PortName): number {
  return Number(env[name] || defaultPorts[name]);
}

/**
 * Where the change events come from (CDC_CONNECTOR): `embedded`, cdc/connector started here, or
 * `external`, a connector run elsewhere (a real Debezium on Kafka Connect) that publishes the
 * `<CDC_TOPIC_PREFIX>.<SHOP_DB>.<table>` topics the services read. External needs KAFKA_BROKERS:
 * the embedded broker speaks the subset of Kafka the toolkit's own parts use, not what Kafka
 * Connect needs (docs/operations.md).
 */
export function cdcConnectorMode(env: NodeJS.ProcessEnv): 'embedded' | 'external' {
  const { connector } = loadConfig(
    'npm start',
    { connector: z.enum(['embedded', 'external']).default('embedded') },
    { connector: 'CDC_CONNECTOR' },
    {},
    env,
  );
  if (connector === 'external' && !envValue('KAFKA_BROKERS', env))
    throw new ConfigError('npm start', [
      'connector (env CDC_CONNECTOR="external"): needs KAFKA_BROKERS, the Kafka your connector publishes to (the embedded broker cannot host Kafka Connect)',
    ]);
  return connector;
}

/** The topics the services read, as they name them: `<CDC_TOPIC_PREFIX>.<SHOP_DB>.<table>`. */
export function serviceTopics(env: NodeJS.ProcessEnv): string {
  const shape = serviceConfigShape({ port: 0, database: 'unused', name: 'npm start' });
  const names = loadConfig(
    'npm start',
    { topicPrefix: shape.topicPrefix, sourceDatabase: shape.sourceDatabase },
    { topicPrefix: 'CDC_TOPIC_PREFIX', sourceDatabase: 'SHOP_DB' },
    {},
    env,
  );
  return topicFor(names, '<table>');
}

/** The full list, in start order. */
export function components(env: NodeJS.ProcessEnv): ComponentSpec[] {
  const port = (name: PortName) => portOf(env, name);
  const external = cdcConnectorMode(env) === 'external';
  const all: ComponentSpec[] = [];
  if (!env.KAFKA_BROKERS) {
    all.push({
      name: 'broker',
      script: 'cdc/broker/main.ts',
      port: port('BROKER_PORT'),
      readyLine: '"msg":"broker listening"',
      describe: (p) => `kafka broker       127.0.0.1:${p} (embedded; set KAFKA_BROKERS for a real Kafka)`,
    });
  }
  all.push({
    name: 'monolith',
    script: 'legacy-monolith/main.ts',
    essential: true,
    port: port('MONOLITH_PORT'),
    healthPath: '/health',
    describe: (p) => `legacy shop        http://127.0.0.1:${p}/products`,
  });
  if (!external) {
    all.push({
      name: 'connector',
      script: 'cdc/connector/main.ts',
      env: {
        // as `npm run connector`: fewer young-generation GCs while a snapshot allocates per row
        NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim(),
        // the statements (and the monolith's route tags) for the writer map
        CDC_INCLUDE_QUERY: env.CDC_INCLUDE_QUERY ?? 'true',
      },
      port: port('CONNECTOR_PORT'),
      healthPath: '/health',
      readyPath: '/ready',
      describe: (p) => `cdc connector      http://127.0.0.1:${p}/status`,
    });
  }
  all.push(
    {
      name: 'catalog',
      script: 'extracted/catalog/main.ts',
      port: port('CATALOG_PORT'),
      healthPath: '/health',
      describe: (p) => `catalog service    http://127.0.0.1:${p}/health`,
    },
    {
      // The same connector, configured for the catalog's store: the catalog's own writes, once
      // it takes them over, go back to legacy through the reverse applier (docs/reverse-sync.md).
      name: 'catalog-store-connector',
      script: 'cdc/connector/main.ts',
      env: {
        NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim(),
        CONNECTOR_PORT: String(port('STORE_CONNECTOR_PORT')),
        CONNECTOR_NAME: 'catalog-store-connector',
        CDC_TOPIC_PREFIX: 'catalog-store',
        // unique per binlog reader of the server: next to the shop connector's when that one is set
        CDC_DATABASE_SERVER_ID:
          env.STORE_CONNECTOR_SERVER_ID ??
          (env.CONNECTOR_SERVER_ID ? String(Number(env.CONNECTOR_SERVER_ID) + 1) : '184055'),
        CDC_DATABASE_INCLUDE_LIST: env.CATALOG_DB || 'catalog',
        CDC_TABLE_INCLUDE_LIST: `${env.CATALOG_DB || 'catalog'}\\.catalog_products`,
        CDC_TABLE_EXCLUDE_LIST: '',
        // the origin tags: what the reverse applier skips
        CDC_INCLUDE_QUERY: 'true',
        // the store's rows before now are the forward projection's: nothing to send back
        CDC_SNAPSHOT_MODE: 'no_data',
      },
      port: port('STORE_CONNECTOR_PORT'),
      healthPath: '/health',
      readyPath: '/ready',
      describe: (p) => `store connector    http://127.0.0.1:${p}/status   (catalog's store)`,
    },
    {
      name: 'catalog-reverse',
      script: 'extracted/catalog/reverse-sync.ts',
      env: {
        REVERSE_PORT: String(port('REVERSE_PORT')),
        REVERSE_CONNECTOR_URL: `http://127.0.0.1:${port('STORE_CONNECTOR_PORT')}`,
        REVERSE_SERVICE_URL: `http://127.0.0.1:${port('CATALOG_PORT')}`,
      },
      port: port('REVERSE_PORT'),
      healthPath: '/health',
      describe: (p) => `reverse sync       http://127.0.0.1:${p}/status   (catalog store → legacy)`,
    },
    {
      name: 'orders',
      script: 'extracted/orders/main.ts',
      port: port('ORDERS_PORT'),
      healthPath: '/health',
      describe: (p) => `orders service     http://127.0.0.1:${p}/health`,
    },
    {
      name: 'writers',
      script: 'cdc/writer-map/main.ts',
      // marks second writers on the tables the catalog owns once its writes moved
      env: {
        WRITERS_OWNERSHIP_URLS: env.WRITERS_OWNERSHIP_URLS ?? `http://127.0.0.1:${port('CATALOG_PORT')}`,
      },
      port: port('WRITERS_PORT'),
      healthPath: '/health',
      describe: (p) => `writer map         http://127.0.0.1:${p}/writers`,
    },
    {
      name: 'proxy',
      script: 'strangler-proxy/main.ts',
      essential: true,
      // as `npm run proxy`: a larger young generation means fewer GC pauses on the hot path
      env: { NODE_OPTIONS: `${env.NODE_OPTIONS ?? ''} --max-semi-space-size=64`.trim() },
      port: port('PROXY_PORT'),
      healthPath: '/health',
      describe: (p) => `strangler proxy    http://127.0.0.1:${p}/products   (send your traffic here)`,
    },
  );
  return all;
}
