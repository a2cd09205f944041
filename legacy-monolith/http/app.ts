import express, { type Express } from 'express';
import type { Knex } from 'knex';
import { errorHandler, routeNotFound, sqlTagScope, tagQueries } from '../../contract/index.ts';
import { createLogger, type Logger } from '../../lib/log.ts';
import { orderRoutes } from './routes/orders.ts';
import { productRoutes } from './routes/products.ts';
import { userRoutes } from './routes/users.ts';

/**
 * The shop's HTTP API (docs/shop.md). Handlers only parse and answer; the rules live in
 * ../domain so tests and other code can call them by name.
 */
export function createApp(knex: Knex, log: Logger = createLogger('legacy-monolith')): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  app.use(express.json({ limit: '100kb' }));
  // After the body parser: its stream callbacks would run outside the scope.
  tagQueries(knex);
  app.use(sqlTagScope());

  app.get('/health', async (_req, res) => {
    await knex.raw('SELECT 1');
    res.json({ status: 'ok' });
  });
  app.use(productRoutes(knex));
  app.use(userRoutes(knex));
  app.use(orderRoutes(knex));

  app.use(routeNotFound);
  app.use(errorHandler(log));
  return app;
}
