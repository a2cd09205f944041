import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { Knex } from 'knex';
import { settledWithin } from '../../lib/timeout.ts';
import type { ProjectionRunner } from '../consumer/index.ts';
import { WriterMapError } from './errors.ts';
import { markSecondWriters, readOwnership } from './ownership.ts';
import { otherWriters, parseExclude, parseTables, parseWindow } from './questions.ts';
import { newestObservation, writersDuring } from './store.ts';

const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const many = (v: unknown): string[] | undefined =>
  typeof v === 'string'
    ? [v]
    : Array.isArray(v)
      ? v.filter((x): x is string => typeof x === 'string')
      : undefined;

/**
 * The writer map's HTTP API (docs/writer-map.md):
 *   GET /writers?since=1h&until=&tables=products,inventory      the map
 *   GET /writers/others?tables=…&exclude=POST%20/products&since=  who else wrote those tables
 *   GET /health                                                   store and projection
 */
export function createWriterMapApp(options: {
  knex: Knex;
  runner: ProjectionRunner;
  watched: readonly string[];
  sourceDatabase: string;
  /** Services whose GET /writes/ownership says which tables they own (second writers are marked). */
  ownershipUrls?: readonly string[];
}): Express {
  const { knex, runner } = options;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'extended');

  const freshness = async () => ({
    watched: options.watched,
    sourceDatabase: options.sourceDatabase,
    newestChange: await newestObservation(knex, options.sourceDatabase),
    applied: runner.counters.applied,
  });
  /**
   * Whether every change already on the topics is counted: an empty answer from a map that is
   * behind (or whose Kafka does not answer) is no evidence, and says so. Kafka's answer is
   * waited for 2 s at most.
   */
  const caughtUp = async (): Promise<{ caughtUp: boolean; eventsBehind: number | null }> => {
    const lookup = runner.lag();
    lookup.catch(() => undefined);
    if (!(await settledWithin(lookup, 2000).catch(() => false)))
      return { caughtUp: false, eventsBehind: null };
    const lag = await lookup;
    return { caughtUp: lag.eventsBehind === 0, eventsBehind: lag.eventsBehind };
  };

  app.get('/health', async (_req, res) => {
    try {
      await knex.raw('SELECT 1');
      res.json({ status: 'ok', projection: runner.counters });
    } catch (err) {
      res.status(503).json({ status: 'degraded', error: (err as Error).message });
    }
  });

  const ownership = async () => {
    const { owners, problems } = await readOwnership(options.ownershipUrls ?? []);
    return {
      owners,
      answer: {
        owners: Object.fromEntries(owners),
        ...(problems.length > 0 ? { ownershipProblems: problems } : {}),
      },
    };
  };

  app.get('/writers', async (req, res) => {
    const window = parseWindow(one(req.query.since), one(req.query.until));
    const tables = parseTables(one(req.query.tables), false);
    const map = await writersDuring(knex, window, { db: options.sourceDatabase, tables });
    const owned = await ownership();
    res.json({
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      ...(await freshness()),
      ...owned.answer,
      tables: Object.fromEntries(
        [...map].map(([table, writers]) => [table, markSecondWriters(table, writers, owned.owners)]),
      ),
    });
  });

  app.get('/writers/others', async (req, res) => {
    const window = parseWindow(one(req.query.since), one(req.query.until));
    const tables = parseTables(one(req.query.tables), true)!;
    const exclude = parseExclude(many(req.query.exclude));
    const owned = await ownership();
    const others = (await otherWriters(knex, { tables, window, exclude, db: options.sourceDatabase })).map(
      (o) => markSecondWriters(o.table, [o], owned.owners)[0]!,
    );
    res.json({
      since: window.since.toISOString(),
      until: window.until.toISOString(),
      tables,
      exclude,
      ...(await freshness()),
      ...(await caughtUp()),
      ...owned.answer,
      others,
    });
  });

  app.use((_req, res) => {
    res
      .status(404)
      .json({ error: { code: 'NOT_FOUND', message: 'GET /writers, /writers/others or /health' } });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof WriterMapError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    res.status(500).json({ error: { code: 'INTERNAL', message: (err as Error).message } });
  });
  return app;
}
