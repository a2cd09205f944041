import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Knex } from 'knex';
import { createHttpServer, defaultHttpTimeouts, type HttpTimeouts, listenHttp } from '../lib/http-server.ts';
import { createMysqlKnex, ensureDatabase } from '../lib/knex-mysql.ts';
import { createLogger, type Logger } from '../lib/log.ts';
import { createApp } from './http/app.ts';
import { migrateLatest } from './migrations/index.ts';

export interface MonolithOptions {
  /** mysql:// URL of the server (no database needed). */
  serverUrl: string;
  database: string;
  port: number;
  host?: string;
  poolMax?: number;
  /** How long a client may take to send a request head / a whole request (408 after). */
  httpTimeouts?: HttpTimeouts;
  log?: Logger;
}

export interface RunningMonolith {
  url: string;
  port: number;
  knex: Knex;
  server: Server;
  /** Stops accepting requests, lets in-flight ones finish (bounded), closes the pool. */
  close(graceMs?: number): Promise<void>;
}

/** Creates the shop database if missing, migrates it to the latest schema, and serves the API. */
export async function startMonolith(options: MonolithOptions): Promise<RunningMonolith> {
  const log = options.log ?? createLogger('legacy-monolith');
  await ensureDatabase(options.serverUrl, options.database);
  const knex = createMysqlKnex(options.serverUrl, options.database, { min: 0, max: options.poolMax ?? 20 });
  try {
    const applied = await migrateLatest(knex);
    if (applied.length > 0) log.info({ applied }, 'applied shop migrations');
    const app = createApp(knex, log);
    const host = options.host ?? '127.0.0.1';
    const server = await listenHttp(
      createHttpServer(app, options.httpTimeouts ?? defaultHttpTimeouts),
      options.port,
      host,
    );
    const port = (server.address() as AddressInfo).port;
    return {
      url: `http://${host}:${port}`,
      port,
      knex,
      server,
      async close(graceMs = 5_000) {
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const timer = setTimeout(() => server.closeAllConnections(), graceMs);
        await closed;
        clearTimeout(timer);
        await knex.destroy();
      },
    };
  } catch (err) {
    await knex.destroy();
    throw err;
  }
}
