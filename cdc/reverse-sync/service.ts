import type { Server } from 'node:http';
import type { Knex } from 'knex';
import { exitOnConfigError } from '../../lib/config.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { createHttpServer, defaultHttpTimeouts, listenHttp } from '../../lib/http-server.ts';
import { createMysqlKnex, ensureDatabase } from '../../lib/knex-mysql.ts';
import { createLogger } from '../../lib/log.ts';
import { binlogHeadReader, ProjectionRunner } from '../consumer/index.ts';
import { reverseProjection } from './applier.ts';
import { loadReverseSyncConfig, type ReverseSyncConfig } from './config.ts';
import { createReverseSyncApp } from './http-app.ts';
import type { ReverseMapping } from './mapping.ts';
import { migrateStateStore } from './state-store.ts';

export interface RunningReverseSync {
  url: string;
  runner: ProjectionRunner;
  knex: Knex;
  close(): Promise<void>;
}

/**
 * Starts a reverse applier for one service's mapping: its state database on the legacy server,
 * the consumer over the store's change topics, the HTTP side. The HTTP side answers while Kafka
 * is away; the consumer keeps trying to start.
 */
export async function startReverseSync(
  mapping: ReverseMapping,
  config: ReverseSyncConfig,
): Promise<RunningReverseSync> {
  const log = createLogger(`${mapping.service}-reverse-sync`);
  const server = await resolveServerUrl();
  await ensureDatabase(server.url, config.stateDatabase);
  const knex = createMysqlKnex(server.url, config.stateDatabase, { min: 0, max: 5 });
  await migrateStateStore(knex);
  const storeUrl = config.storeMysqlUrl ?? server.url;
  const head = binlogHeadReader(storeUrl);
  const runner = new ProjectionRunner({
    brokers: config.brokers,
    groupId: config.groupId,
    knex,
    projection: reverseProjection({
      mapping,
      storeDatabase: config.storeDatabase,
      legacyDatabase: config.legacyDatabase,
      topicOf: (table) => `${config.topicPrefix}.${config.storeDatabase}.${table}`,
    }),
    log: createLogger(`${mapping.service}-reverse-sync:consumer`),
    // positions are checked against the server the store connector reads
    sourceUrl: storeUrl,
  });
  const app = createReverseSyncApp({
    mapping,
    knex,
    runner,
    head: head.read,
    connectorUrl: config.connectorUrl,
    serviceUrl: config.serviceUrl,
    log,
  });
  const http: Server = await listenHttp(createHttpServer(app, defaultHttpTimeouts), config.port, config.host);
  const address = http.address();
  const url = `http://${config.host}:${typeof address === 'object' && address ? address.port : config.port}`;
  let closing = false;
  void (async () => {
    for (let attempt = 0; !closing; attempt++) {
      try {
        await runner.start();
        return;
      } catch (err) {
        log.warn({ err, attempt }, 'consumer could not start (Kafka unavailable?); retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt)));
      }
    }
  })();
  return {
    url,
    runner,
    knex,
    async close() {
      closing = true;
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await runner.stop();
      await head.close().catch(() => undefined);
      await knex.destroy();
    },
  };
}

/** A service's reverse-applier process: `defaults` are what the service knows of its store. */
export function reverseSyncMain(
  mapping: ReverseMapping,
  defaults: { topicPrefix: string; storeDatabase: string },
): void {
  const log = createLogger(`${mapping.service}-reverse-sync`);
  let config: ReverseSyncConfig;
  try {
    config = loadReverseSyncConfig(defaults);
  } catch (err) {
    exitOnConfigError(err);
  }
  startReverseSync(mapping, config).then(
    (running) => {
      log.info(
        { url: running.url, topicPrefix: config.topicPrefix, legacy: config.legacyDatabase },
        `${mapping.service} reverse sync ready on ${running.url}/status`,
      );
      let stopping = false;
      const stop = async () => {
        if (stopping) return;
        stopping = true;
        await running.close();
        process.exit(0);
      };
      process.on('SIGTERM', () => void stop());
      process.on('SIGINT', () => void stop());
    },
    (err) => {
      log.fatal({ err }, `reverse sync failed to start: ${err instanceof Error ? err.message : String(err)}`);
      process.exit(1);
    },
  );
}
