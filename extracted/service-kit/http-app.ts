import express, { type Express, type RequestHandler, type Router } from 'express';
import type { Knex } from 'knex';
import type { ProjectionRunner } from '../../cdc/consumer/index.ts';
import {
  errorHandler,
  routeNotFound,
  sourcePositionHeaders,
  sqlTagScope,
  tagQueries,
} from '../../contract/index.ts';
import type { Logger } from '../../lib/log.ts';
import { settledWithin } from '../../lib/timeout.ts';

/** How long /health waits for Kafka's answer on the projection's lag before saying it did not come. */
const healthKafkaWaitMs = 2000;

/**
 * Every answer says which source position the store reflected when it was read (the headers
 * the comparison engine reads, docs/extracted.md).
 */
function sourcePosition(runner: ProjectionRunner): RequestHandler {
  return (_req, res, next) => {
    for (const [name, value] of Object.entries(sourcePositionHeaders(runner.storePosition())))
      res.setHeader(name, value);
    next();
  };
}

/**
 * The service's HTTP app: the same parsing settings, body parser, SQL tags, error bodies and
 * 404s as the monolith (so answers compare equal), plus /health with projection lag.
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
  // The monolith's body limit and parser, so a bad body gets the same 400/413/415.
  app.use(express.json({ limit: '100kb' }));
  // The monolith's SQL route tags on the statements a request sends (after the body parser, as
  // there); the projection's statements run outside any request and stay untagged.
  tagQueries(options.knex);
  app.use(sqlTagScope());
  // The lag asks Kafka, whose client retries for about 30 s when the broker is gone: /health
  // must still answer at once (a supervisor or load balancer takes a slow health check for a
  // dead service). One lookup at a time is shared by the checks that arrive meanwhile.
  let lagLookup: Promise<object> | undefined;
  const projectionLag = async (): Promise<object> => {
    lagLookup ??= options.runner
      .lag()
      .catch((err: Error) => ({ error: `kafka unavailable: ${err.message}` }))
      .finally(() => {
        lagLookup = undefined;
      });
    const lookup = lagLookup;
    if (await settledWithin(lookup, healthKafkaWaitMs)) return lookup;
    return { error: `kafka did not answer within ${healthKafkaWaitMs} ms` };
  };
  app.get('/health', async (_req, res) => {
    let database = 'ok';
    try {
      await options.knex.raw('SELECT 1');
    } catch {
      database = 'unavailable';
    }
    const lag = await projectionLag();
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
