import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Knex } from 'knex';
import type { ProjectionRunner } from '../../cdc/consumer/index.ts';
import { errorHandler, routeNotFound } from '../../contract/index.ts';
import type { Logger } from '../../lib/log.ts';

/** Header names the comparison engine reads (docs/extracted.md). */
export const sourcePositionHeader = 'x-strangler-source-position';
export const sourceTsHeader = 'x-strangler-source-ts';

/** Every answer says which source position the store reflected when it was read. */
function sourcePosition(runner: ProjectionRunner): RequestHandler {
  return (_req, res, next) => {
    const position = runner.storePosition();
    res.setHeader(sourcePositionHeader, position?.label || 'none');
    res.setHeader(
      sourceTsHeader,
      position?.sourceTsMs === null || position === null ? 'none' : String(position.sourceTsMs),
    );
    next();
  };
}

/**
 * The service's HTTP app: the same parsing settings, error bodies and 404s as the monolith
 * (so answers compare equal), plus /health with projection lag.
 */
export function createServiceApp(options: {
  name: string;
  knex: Knex;
  runner: ProjectionRunner;
  routes: Router;
  log: Logger;
}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(sourcePosition(options.runner));
  app.get('/health', async (_req, res) => {
    let database = 'ok';
    try {
      await options.knex.raw('SELECT 1');
    } catch {
      database = 'unavailable';
    }
    const lag = await options.runner
      .lag()
      .catch((err: Error) => ({ error: `kafka unavailable: ${err.message}` }));
    const position = options.runner.storePosition();
    res.status(database === 'ok' ? 200 : 503).json({
      status: database === 'ok' ? 'ok' : 'degraded',
      service: options.name,
      database,
      sourcePosition: position?.label ?? null,
      sourceTsMs: position?.sourceTsMs ?? null,
      projection: { ...lag, counters: options.runner.counters },
    });
  });
  app.use(options.routes);
  app.use(routeNotFound);
  app.use(errorHandler(options.log));
  return app;
}
