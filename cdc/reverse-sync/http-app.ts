import express, { type ErrorRequestHandler, type Express } from 'express';
import type { Knex } from 'knex';
import type { Logger } from '../../lib/log.ts';
import type { ProjectionRunner } from '../consumer/index.ts';
import { ReverseSyncError } from './errors.ts';
import type { ReverseMapping } from './mapping.ts';
import { disableTables, enableTables } from './state-store.ts';
import { type HeadReader, readStatus, storeHead } from './status.ts';

/** `{ "tables": [...] }` of tables the mapping writes, each once; the problem named otherwise. */
function tablesOf(body: unknown, mapping: ReverseMapping): string[] {
  const tables = (body as { tables?: unknown } | null)?.tables;
  const known = mapping.legacyTables;
  const fail = (why: string) =>
    new ReverseSyncError(
      'REVERSE_ERR_BAD_TABLES',
      `${why}; expected { "tables": [...] } of ${known.join(', ')}`,
      {
        context: { tables },
      },
    );
  if (body === null || typeof body !== 'object' || Array.isArray(body))
    throw fail('the body is not a JSON object');
  const extra = Object.keys(body).filter((k) => k !== 'tables');
  if (extra.length > 0) throw fail(`unknown field ${extra.join(', ')}`);
  if (!Array.isArray(tables) || tables.length === 0) throw fail('tables is missing or empty');
  for (const t of tables)
    if (typeof t !== 'string' || !known.includes(t))
      throw fail(`${JSON.stringify(t)} is not a legacy table the ${mapping.service} reverse mapping writes`);
  if (new Set(tables).size !== tables.length) throw fail('a table is listed twice');
  return tables as string[];
}

/** Prometheus text from a status: the figures an operator alerts on. */
function metricsText(status: Awaited<ReturnType<typeof readStatus>>): string {
  const lines: string[] = [];
  const gauge = (name: string, help: string, values: [Record<string, string>, number | null][]) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
    for (const [labels, value] of values) {
      if (value === null) continue;
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${v.replace(/["\\\n]/g, '_')}"`)
        .join(',');
      lines.push(`${name}{${l}} ${value}`);
    }
  };
  const tables = Object.entries(status.tables);
  gauge(
    'reverse_sync_enabled',
    '1 while store changes are applied to the legacy table',
    tables.map(([t, s]) => [{ table: t }, s.enabled ? 1 : 0]),
  );
  gauge(
    'reverse_sync_caught_up',
    "1 when the applied position reaches the store's binlog end",
    tables.map(([t, s]) => [{ table: t }, s.caughtUp ? 1 : 0]),
  );
  gauge(
    'reverse_sync_lag_ms',
    'store commit to now for the oldest change not yet applied',
    tables.map(([t, s]) => [{ table: t }, s.lagMs]),
  );
  gauge(
    'reverse_sync_applied_rows',
    'legacy rows written by the reverse applier',
    tables.map(([t, s]) => [{ table: t }, s.appliedRows]),
  );
  gauge(
    'reverse_sync_second_writer_changes',
    'changes to an owned legacy table by another writer (the alarm; from the service)',
    tables.map(([t, s]) => [{ table: t }, s.secondWriters]),
  );
  gauge(
    'reverse_sync_dead_lettered',
    'store change events dead-lettered since start, by error code',
    Object.entries(status.counters.deadLetteredByReason).map(([code, n]) => [{ code }, n]),
  );
  return `${lines.join('\n')}\n`;
}

/**
 * The reverse applier's HTTP side: /health, /status, /metrics, and the switch's two commands.
 * Bound to 127.0.0.1 by default, as the services are; it has no token of its own.
 */
export function createReverseSyncApp(options: {
  mapping: ReverseMapping;
  knex: Knex;
  runner: ProjectionRunner;
  head: HeadReader;
  connectorUrl?: string;
  serviceUrl?: string;
  log: Logger;
}): Express {
  const app = express();
  app.disable('x-powered-by');
  const status = () => readStatus(options);
  app.get('/health', async (_req, res) => {
    let database = 'ok';
    try {
      await options.knex.raw('SELECT 1');
    } catch {
      database = 'unavailable';
    }
    res
      .status(database === 'ok' ? 200 : 503)
      .json({ status: database === 'ok' ? 'ok' : 'degraded', database });
  });
  app.get('/status', async (_req, res) => {
    res.json(await status());
  });
  app.get('/metrics', async (_req, res) => {
    res.type('text/plain; version=0.0.4; charset=utf-8').send(metricsText(await status()));
  });
  const json = express.json({ limit: '16kb' });
  app.post('/reverse/enable', json, async (req, res) => {
    const tables = tablesOf(req.body, options.mapping);
    // From the store's binlog end now: what the store wrote before (the forward projection's
    // rows, which came from legacy) never goes back.
    const from = await storeHead(options.head);
    await enableTables(options.knex, tables, { key: from.key, label: from.label });
    options.log.info({ tables, from: from.label }, 'reverse sync enabled');
    res.json(await status());
  });
  app.post('/reverse/disable', json, async (req, res) => {
    const tables = tablesOf(req.body, options.mapping);
    await disableTables(options.knex, tables);
    options.log.info({ tables }, 'reverse sync disabled');
    res.json(await status());
  });
  app.use((req, _res, next) =>
    next(
      new ReverseSyncError('REVERSE_ERR_ROUTE_NOT_FOUND', `no endpoint ${req.method} ${req.path}`, {
        status: 404,
      }),
    ),
  );
  const onError: ErrorRequestHandler = (err, _req, res, _next) => {
    if (err instanceof ReverseSyncError) {
      res.status(err.status).json({ error: { code: err.code, message: err.message } });
      return;
    }
    const parse = err as { type?: string; status?: number; message?: string };
    if (parse.type === 'entity.parse.failed' || parse.type === 'entity.too.large') {
      res.status(parse.status ?? 400).json({
        error: {
          code: 'REVERSE_ERR_BAD_TABLES',
          message: `the request body is not usable JSON: ${parse.message}`,
        },
      });
      return;
    }
    options.log.error({ err }, 'request failed');
    res
      .status(503)
      .json({ error: { code: 'REVERSE_ERR_UNAVAILABLE', message: String(parse.message ?? err) } });
  };
  app.use(onError);
  return app;
}
