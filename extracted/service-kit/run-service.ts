import type { Server } from 'node:http';
import { Command } from 'commander';
import type { Router } from 'express';
import type { Knex } from 'knex';
import type { z } from 'zod';
import {
  type ConsumerError,
  defaultDlqTopic,
  isKafkaAccessRefusal,
  type Projection,
  ProjectionRunner,
} from '../../cdc/consumer/index.ts';
import { exitOnConfigError, loadConfig } from '../../lib/config.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { checkHttpTimeouts, createHttpServer, listenHttp } from '../../lib/http-server.ts';
import { loadKafkaSecurity } from '../../lib/kafka-security.ts';
import { createLogger } from '../../lib/log.ts';
import { createServiceApp } from './http-app.ts';
import { type ServiceConfig, serviceConfigShape, serviceEnvNames } from './service-config.ts';
import { emptyStore, migrate, openStore, type ServiceMigration } from './store.ts';

export interface ServiceDefinition {
  name: 'catalog' | 'orders';
  envPrefix: 'CATALOG' | 'ORDERS';
  defaults: { port: number; database: string };
  migrations: readonly ServiceMigration[];
  /** Read-model tables, emptied by `rebuild`. */
  tables: string[];
  projection(config: ServiceConfig): Projection;
  routes(knex: Knex): Router;
}

export interface RunningService {
  url: string;
  runner: ProjectionRunner;
  knex: Knex;
  /**
   * Settles when the projection can never start: the broker refused the credential or the
   * certificate (CDC_ERR_KAFKA_AUTH, CDC_ERR_KAFKA_TLS). Other start failures are retried.
   */
  failed: Promise<ConsumerError>;
  close(): Promise<void>;
}

export function loadServiceConfig(
  def: ServiceDefinition,
  overrides: Partial<ServiceConfig> = {},
): ServiceConfig {
  const shape = serviceConfigShape({ ...def.defaults, name: def.name });
  const envNames = serviceEnvNames(def.envPrefix);
  const config = loadConfig(def.name, shape, envNames, overrides) as Readonly<
    z.infer<z.ZodObject<typeof shape>>
  >;
  checkHttpTimeouts(def.name, config, envNames);
  return { ...config, kafkaSecurity: overrides.kafkaSecurity ?? loadKafkaSecurity(def.name) };
}

/** Opens the store, migrates, optionally empties it (rebuild), starts the projection and the HTTP server. */
export async function startService(
  def: ServiceDefinition,
  config: ServiceConfig,
  options: { rebuild?: boolean } = {},
): Promise<RunningService> {
  const log = createLogger(def.name);
  const server = await resolveServerUrl();
  const knex = await openStore(server.url, config.database, config.poolMax);
  await migrate(knex, def.name, def.migrations);
  if (options.rebuild) {
    await emptyStore(knex, def.tables);
    log.info({ tables: def.tables }, 'store emptied; replaying the topics from the beginning');
  }
  const runner = new ProjectionRunner({
    brokers: config.brokers,
    security: config.kafkaSecurity,
    groupId: config.groupId,
    knex,
    projection: def.projection(config),
    dlqTopic: config.dlqSuffix === '.dlq' ? defaultDlqTopic : (topic) => `${topic}${config.dlqSuffix}`,
    log: createLogger(`${def.name}:projection`),
    // Positions are checked against the server the connector reads: the shop's, unless told otherwise.
    sourceUrl: config.sourceUrl ?? server.url,
  });
  // The HTTP side starts first: a service answers from its store even while Kafka is away.
  const app = createServiceApp({ name: def.name, knex, runner, routes: def.routes(knex), log });
  const http: Server = await listenHttp(createHttpServer(app, config), config.port, config.host);
  const address = http.address();
  const url = `http://${config.host}:${typeof address === 'object' && address ? address.port : config.port}`;
  let closing = false;
  let fail: (err: ConsumerError) => void = () => undefined;
  const failed = new Promise<ConsumerError>((resolve) => {
    fail = resolve;
  });
  const startRunner = async () => {
    for (let attempt = 0; !closing; attempt++) {
      try {
        await runner.start();
        return;
      } catch (err) {
        // Waiting does not fix a refused password or an untrusted certificate: report it, once.
        if (isKafkaAccessRefusal(err)) {
          fail(err);
          return;
        }
        log.warn({ err, attempt }, 'projection could not start (Kafka unavailable?); retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt)));
      }
    }
  };
  void startRunner();
  return {
    url,
    runner,
    knex,
    failed,
    async close() {
      closing = true;
      await new Promise<void>((resolve) => http.close(() => resolve()));
      // Bounded: the broker may be gone already (stopped before us, or crashed).
      await runner.stop();
      await knex.destroy();
    },
  };
}

/** CLI: `start` (default) serves and projects; `rebuild` empties the store first and replays. */
export function serviceMain(def: ServiceDefinition): void {
  const log = createLogger(def.name);
  const program = new Command(def.name).description(`extracted ${def.name} service`);
  const run = async (rebuild: boolean) => {
    let config: ServiceConfig;
    try {
      config = loadServiceConfig(def);
    } catch (err) {
      exitOnConfigError(err);
    }
    const service = await startService(def, config, { rebuild });
    log.info(
      { url: service.url, database: config.database, groupId: config.groupId },
      `${def.name} service ready on ${service.url}`,
    );
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'stopping: finishing the batch in flight');
      await service.close();
      process.exit(0);
    };
    process.on('SIGTERM', () => void stop('SIGTERM'));
    process.on('SIGINT', () => void stop('SIGINT'));
    void service.failed.then(async (err) => {
      log.fatal({ code: err.code, broker: err.context.broker }, `${def.name} cannot start: ${err.message}`);
      process.stderr.write(`${def.name} cannot start: ${err.message} (${err.code})\n`);
      stopping = true;
      await service.close().catch(() => undefined);
      process.exit(1);
    });
  };
  program
    .command('start', { isDefault: true })
    .description('serve the read model and keep projecting')
    .action(() => run(false));
  program
    .command('rebuild')
    .description('empty the store, then replay every topic from its start and serve')
    .action(() => run(true));
  program.parseAsync().catch((err) => {
    log.fatal({ err }, `${def.name} failed to start: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
