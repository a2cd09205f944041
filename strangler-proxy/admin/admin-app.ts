import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log.ts';
import { aggregateShiftError } from '../aggregate/not-shiftable.ts';
import type { BreakerStates } from '../breakers.ts';
import { type ComparisonStore, reportFromStore } from '../compare/index.ts';
import { ProxyError } from '../errors.ts';
import type { FlagDecider } from '../flags/decider.ts';
import { applyShift } from '../flags/flag-mapping.ts';
import type { FlagStore } from '../flags/flag-store.ts';
import type { LocalFlagFile } from '../flags/local-flag-file.ts';
import type { ProxyStats } from '../metrics.ts';
import { normaliseTarget } from '../routes/path-normalise.ts';
import { matchRoute } from '../routes/route-matcher.ts';
import { buildRouteTable, type RouteTable, writeRouteTableFile } from '../routes/route-table.ts';
import type { RouteWatcher } from '../routes/route-watcher.ts';
import type { WriteControl } from '../writes/write-control.ts';
import { presentedToken, tokenMatches } from './admin-token.ts';
import { unleashClientApi } from './unleash-client-api.ts';
import { writeEndpoints } from './write-endpoints.ts';

export interface AdminDeps {
  token: string;
  routesFile: string;
  captureMaxBytes: number;
  table: () => RouteTable;
  applyTable: (table: RouteTable) => void;
  watcher: RouteWatcher;
  flags: FlagStore;
  /** Set when the admin server is the flag source (UNLEASH_URL unset). */
  localFlags: LocalFlagFile | undefined;
  decider: () => FlagDecider | undefined;
  stats: ProxyStats;
  breakers: BreakerStates;
  /**
   * With PROXY_WORKERS > 1 the counters and breakers live in the worker processes: this
   * collects them into `stats` and `breakers` before an endpoint reads them.
   */
  refresh?: () => Promise<void>;
  registry: Registry;
  /** The comparison store (undefined until the engine is up). */
  compareStore: () => ComparisonStore | undefined;
  /** Routes' write sides and holds (writes/write-control.ts); without it, no /writes endpoints. */
  writes?: WriteControl;
  log: Logger;
}

/**
 * The admin API (Express is fine here: it is off the hot path). Bearer token on everything
 * except GET /health (liveness, says nothing but "ok").
 */
export function createAdminApp(deps: AdminDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok', flagsReady: deps.decider()?.ready ?? false });
  });

  const auth = (allowBare: boolean) => (req: Request, res: Response, next: NextFunction) => {
    if (tokenMatches(presentedToken(req.headers.authorization, allowBare), deps.token)) return next();
    res.setHeader('www-authenticate', 'Bearer realm="strangler-proxy admin"');
    res.status(401).json({
      error: {
        code: 'PROXY_ERR_UNAUTHORIZED',
        message: 'send Authorization: Bearer <admin token> (PROXY_ADMIN_TOKEN or the token file)',
      },
    });
  };

  if (deps.localFlags) app.use('/api', auth(true), unleashClientApi(deps.localFlags, deps.log).router);

  const admin = express.Router();
  admin.use(auth(false));
  admin.use(express.json({ limit: '1mb' }));

  admin.get('/routes', async (_req, res) => {
    const table = deps.table();
    // an aggregation route has no flag of its own: its parts follow their routes' flags
    const flagged = table.routes.filter((r) => !r.aggregate);
    const flags = await Promise.all(
      flagged.map((r) => deps.flags.get(r.flag).catch((e: Error) => ({ error: e.message }))),
    );
    res.json({
      file: deps.routesFile,
      lastReloadError: deps.watcher.lastError ?? null,
      loadedAt: deps.watcher.lastLoadedAt.toISOString(),
      table: table.file,
      flags: Object.fromEntries(flagged.map((r, i) => [r.id, { flag: r.flag, ...flags[i] }])),
    });
  });

  const saveTable = async (raw: unknown, res: Response) => {
    const table = buildRouteTable(raw, deps.captureMaxBytes, 'route table from the admin API');
    await writeRouteTableFile(deps.routesFile, table.file);
    deps.applyTable(table);
    res.json({ ok: true, routes: table.routes.map((r) => r.id) });
  };
  admin.put('/routes', (req, res, next) => saveTable(req.body, res).catch(next));
  admin.put('/routes/:id', (req, res, next) => {
    const file = structuredClone(deps.table().file);
    const route = { ...(req.body as object), id: req.params.id };
    const at = file.routes.findIndex((r) => r.id === req.params.id);
    const routes = [...file.routes] as unknown[];
    if (at >= 0) routes[at] = route;
    else routes.push(route);
    saveTable({ ...file, routes }, res).catch(next);
  });
  admin.delete('/routes/:id', (req, res, next) => {
    const file = structuredClone(deps.table().file);
    const routes = file.routes.filter((r) => r.id !== req.params.id);
    if (routes.length === file.routes.length) return next(unknownRoute(req.params.id!));
    saveTable({ ...file, routes }, res).catch(next);
  });

  admin.get('/decision', async (req, res, next) => {
    await deps.refresh?.();
    const q = req.query as Record<string, string | undefined>;
    const method = (q.method ?? 'GET').toUpperCase();
    const target = normaliseTarget(q.path ?? '/');
    if (!target.ok) return next(new ProxyError(target.code, target.reason, { status: 400 }));
    const table = deps.table();
    const route = matchRoute(table, method, target.path);
    if (!route)
      return res.json({ method, path: target.path, route: null, serve: 'legacy', upstream: table.legacy });
    const context = {
      userId: q.userId,
      sessionId: q.sessionId ?? q.remoteAddress,
      remoteAddress: q.remoteAddress,
    };
    const decision = deps.decider()?.decide(route, context);
    const serve = decision?.serve ?? 'legacy';
    res.json({
      method,
      path: target.path,
      route: route.id,
      flag: route.flag,
      context,
      ...decision,
      breaker: deps.breakers.stateOf(route.upstreamNew),
      upstream: serve === 'new' ? route.upstreamNew : route.legacy,
    });
  });

  admin.get('/flags', async (_req, res, next) => {
    try {
      const table = deps.table();
      const unleash = deps.decider()?.unleash;
      const out = await Promise.all(
        table.routes
          .filter((r) => !r.aggregate)
          .map(async (r) => ({
            route: r.id,
            flag: r.flag,
            stored: await deps.flags.get(r.flag),
            seenByProxy: unleash?.getFeatureToggleDefinition(r.flag) ?? null,
          })),
      );
      res.json({ source: deps.flags.kind, flags: out });
    } catch (err) {
      next(err);
    }
  });
  admin.post('/flags/:route', async (req, res, next) => {
    try {
      const route = deps.table().routes.find((r) => r.id === req.params.route);
      if (!route) throw unknownRoute(req.params.route!);
      const notShiftable = aggregateShiftError(route);
      if (notShiftable) throw notShiftable;
      const to = (req.body as { to?: unknown })?.to;
      if (typeof to !== 'string' && typeof to !== 'number') {
        throw new ProxyError(
          'PROXY_ERR_BAD_SHIFT',
          'send {"to": "25"} (a percentage) or {"to": "shadow"} (a mode)',
          { status: 400 },
        );
      }
      const next = applyShift(await deps.flags.get(route.flag), String(to));
      await deps.flags.set(route.flag, next);
      res.json({ route: route.id, flag: route.flag, ...next });
    } catch (err) {
      next(err);
    }
  });

  admin.get('/stats', async (_req, res) => {
    await deps.refresh?.();
    res.json({ ...deps.stats.summary(), breakers: Object.fromEntries(deps.breakers.entries()) });
  });
  admin.get('/metrics', async (_req, res, next) => {
    try {
      await deps.refresh?.();
      res.type(deps.registry.contentType).send(await deps.registry.metrics());
    } catch (err) {
      next(err);
    }
  });

  // The comparison report (the same data `strangler compare report` renders) and the raw
  // non-matching records, newest last, optionally for one route.
  const compareStore = (res: Response) => {
    const store = deps.compareStore();
    if (!store)
      res
        .status(503)
        .json({ error: { code: 'PROXY_ERR_COMPARE_NOT_READY', message: 'comparison engine starting' } });
    return store;
  };
  admin.get('/compare/report', async (_req, res, next) => {
    const store = compareStore(res);
    if (store) await reportFromStore(store).then((r) => res.json(r), next);
  });
  admin.get('/compare/records', async (req, res, next) => {
    const store = compareStore(res);
    const route = typeof req.query.route === 'string' ? req.query.route : undefined;
    const limit = Math.min(Number(req.query.limit ?? 100) || 100, 1000);
    if (store) await store.records(route).then((r) => res.json({ records: r.slice(-limit) }), next);
  });

  if (deps.writes) admin.use(writeEndpoints({ table: deps.table, writes: deps.writes }));

  app.use(admin);
  app.use((_req: Request, res: Response) => {
    res.status(404).json({ error: { code: 'PROXY_ERR_UNKNOWN_ROUTE', message: 'no such admin endpoint' } });
  });
  app.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = err instanceof ProxyError ? err.status : ((err as { status?: number }).status ?? 500);
    const code = (err as { code?: string }).code ?? 'PROXY_ERR_MALFORMED_REQUEST';
    if (status >= 500) deps.log.error({ err }, 'admin request failed');
    res.status(status).json({
      error: { code, message: (err as Error).message, ...(err instanceof ProxyError ? err.context : {}) },
    });
  });
  return app;
}

function unknownRoute(id: string): ProxyError {
  return new ProxyError('PROXY_ERR_UNKNOWN_ROUTE', `no route "${id}" in the route table`, { status: 404 });
}
