import { exitOnConfigError } from '../../lib/config.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { createHttpServer, defaultHttpTimeouts, listenHttp } from '../../lib/http-server.ts';
import { createMysqlKnex, ensureDatabase } from '../../lib/knex-mysql.ts';
import { createLogger } from '../../lib/log.ts';
import { isKafkaAccessRefusal, ProjectionRunner } from '../consumer/index.ts';
import { loadWriterMapConfig, type WriterMapConfig } from './config.ts';
import { WriterMapError } from './errors.ts';
import { createWriterMapApp } from './http-app.ts';
import { writerMapProjection } from './projection.ts';
import { migrateWriterStore } from './store.ts';

/**
 * `npm run writers`: keeps the writer map (who writes which legacy table) from the change
 * topics, and serves it on WRITERS_PORT. Its counts live in its own database, with the consumed
 * offsets, so a restart resumes where it stopped.
 */
const log = createLogger('writer-map');
let config: WriterMapConfig;
try {
  config = loadWriterMapConfig();
} catch (err) {
  exitOnConfigError(err);
}

/** The tables to watch: WRITERS_TABLES, or every table of the source database (knex's bookkeeping aside). */
async function watchedTables(serverUrl: string): Promise<string[]> {
  if (config.tables) return config.tables;
  const source = createMysqlKnex(serverUrl, '', { min: 0, max: 1 });
  try {
    const rows = await source('information_schema.tables')
      .where({ table_schema: config.sourceDatabase, table_type: 'BASE TABLE' })
      .whereNotIn('table_name', ['knex_migrations', 'knex_migrations_lock'])
      .orderBy('table_name')
      .select({ name: 'table_name' });
    return rows.map((r) => String(r.name));
  } finally {
    await source.destroy();
  }
}

try {
  const server = await resolveServerUrl();
  const tables = await watchedTables(server.url);
  if (tables.length === 0)
    throw new WriterMapError(
      'WRITERS_ERR_NO_TABLES',
      `database ${config.sourceDatabase} has no table to watch: check SHOP_DB (or name them in WRITERS_TABLES)`,
    );
  await ensureDatabase(server.url, config.database);
  const knex = createMysqlKnex(server.url, config.database, { min: 0, max: 5 });
  await migrateWriterStore(knex);
  const topics = tables.map((t) => `${config.topicPrefix}.${config.sourceDatabase}.${t}`);
  const runner = new ProjectionRunner({
    brokers: config.brokers,
    security: config.kafkaSecurity,
    groupId: config.groupId,
    knex,
    projection: writerMapProjection(topics),
    log: createLogger('writer-map:projection'),
  });
  const app = createWriterMapApp({
    knex,
    runner,
    watched: tables,
    sourceDatabase: config.sourceDatabase,
    ownershipUrls: config.ownershipUrls,
  });
  const http = await listenHttp(createHttpServer(app, defaultHttpTimeouts), config.port, config.host);
  let closing = false;
  void (async () => {
    for (let attempt = 0; !closing; attempt++) {
      try {
        await runner.start();
        return;
      } catch (err) {
        // A refused password or an untrusted certificate does not heal by waiting: exit naming it.
        if (isKafkaAccessRefusal(err)) {
          process.stderr.write(`writer map cannot start: ${err.message} (${err.code})\n`);
          closing = true;
          await new Promise<void>((resolve) => http.close(() => resolve()));
          await runner.stop().catch(() => undefined);
          await knex.destroy();
          process.exit(1);
        }
        log.warn({ err, attempt }, 'projection could not start (Kafka unavailable?); retrying');
        await new Promise((r) => setTimeout(r, Math.min(5000, 200 * 2 ** attempt)));
      }
    }
  })();
  log.info({ port: config.port, topics }, `writer map ready on http://${config.host}:${config.port}/writers`);
  const stop = async () => {
    if (closing) return;
    closing = true;
    await new Promise<void>((resolve) => http.close(() => resolve()));
    await runner.stop();
    await knex.destroy();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
} catch (err) {
  process.stderr.write(`writer map cannot start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(err instanceof WriterMapError ? 2 : 1);
}
