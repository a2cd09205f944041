import express, { type NextFunction, type Request, type Response } from 'express';
import type { Registry } from 'prom-client';
import type { Logger } from '../../lib/log.ts';
import { aggregateShiftError } from '../aggregate/not-shiftable.ts';
import { type AuditTrail, reasonOf } from '../audit/audit-trail.ts';
import type { BreakerStates } from '../breakers.ts';
import { type ComparisonStore, reportFromStore } from '../compare/index.ts';
import { ProxyError } from '../errors.ts';
import type { FlagDecider } from '../flags/decider.ts';
import { applyShift } from '../flags/flag-mapping.ts';
import type { FlagStore } from '../flags/flag-store.ts';
import type { LocalFlagFile } from '../flags/local-flag-file.ts';
import { type OverrideSigner, overrideCookie, overrideHeader } from '../flags/tester-override.ts';
import type { ProxyStats } from '../metrics.ts';
import { normaliseTarget } from '../routes/path-normalise.ts';
import { matchRoute } from '../routes/route-matcher.ts';
import { buildRouteTable, type RouteTable, writeRouteTableFile } from '../routes/route-table.ts';
import type { RouteWatcher } from '../routes/route-watcher.ts';
import type { WriteControl } from '../writes/write-control.ts';
import { presentedToken, tokenMatches } from './admin-token.ts';
import type { Identity, OperatorTokens } from './operators.ts';
import { unleashClientApi } from './unleash-client-api.ts';
import { writeEndpoints } from './write-endpoints.ts';

export interface AdminDeps {
  token: string;
  /** Named operator tokens (the shared token is the actor `admin`). */
  operators: OperatorTokens;
  audit: AuditTrail;
  /** Issues testers' overrides (flags/tester-override.ts). */
  overrides: OverrideSigner;
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

  const unauthorized = (res: Response) => {
    res.setHeader('www-authenticate', 'Bearer realm="strangler-proxy admin"');
    res.status(401).json({
      error: {
        code: 'PROXY_ERR_UNAUTHORIZED',
        message:
          'send Authorization: Bearer <token>: the admin token (PROXY_ADMIN_TOKEN or the token file) or an operator token',
      },
    });
  };
  // The embedded Unleash client API: the proxy's own unleash clients, with the shared token.
  const clientAuth = (req: Request, res: Response, next: NextFunction) => {
    if (tokenMatches(presentedToken(req.headers.authorization, true), deps.token)) return next();
    unauthorized(res);
  };
  // Everything else: the shared token or a named operator token; who it is goes on the request.
  const operatorAuth = (req: Request, res: Response, next: NextFunction) => {
    deps.operators.identify(presentedToken(req.headers.authorization, false)).then((who) => {
      if (!who) return unauthorized(res);
      res.locals.identity = who;
      next();
    }, next);
  };
  const identity = (res: Response) => res.locals.identity as Identity;
  /** Appends the change to the audit trail before the answer says it is done. */
  const audited = (
    req: Request,
    res: Response,
    change: { action: string; target: string; before: unknown; after: unknown },
  ) =>
    deps.audit.append({
      actor: identity(res).name,
      reason: reasonOf(req.headers['x-strangler-reason'], req.body),
      ...change,
    });

  if (deps.localFlags) app.use('/api', clientAuth, unleashClientApi(deps.localFlags, deps.log).router);

  const admin = express.Router();
  admin.use(operatorAuth);
  admin.use(express.json({ limit: '1mb' }));

  admin.get('/audit', async (req, res, next) => {
    const q = req.query as Record<string, string | undefined>;
    const limit = q.limit === undefined ? undefined : Number(q.limit);
    if (limit !== undefined && !(Number.isInteger(limit) && limit > 0))
      return next(
        new ProxyError('PROXY_ERR_BAD_QUERY', 'limit must be a whole number above 0', { status: 400 }),
      );
    await deps.audit
      .read({ target: q.route ?? q.target, limit })
      .then((entries) => res.json({ entries }), next);
  });

  // Operator tokens: listed by anyone signed in; issued and revoked with the shared admin token.
  const rootOnly = (_req: Request, res: Response, next: NextFunction) => {
    if (identity(res).root) return next();
    next(
      new ProxyError('PROXY_ERR_FORBIDDEN', 'only the admin token issues and revokes operator tokens', {
        status: 403,
      }),
    );
  };
  // A tester's override: issued to a named tester by a named operator, audited; the value
  // goes in the x-strangler-override header or the strangler_override cookie.
  admin.post('/overrides', async (req, res, next) => {
    try {
      const issued = deps.overrides.issue(req.body);
      const o = issued.override;
      const after = { side: o.side, routes: o.routes, expiresAt: new Date(o.expiresAt).toISOString() };
      await audited(req, res, { action: 'override.issue', target: o.tester, before: null, after });
      res.status(201).json({
        ...after,
        tester: o.tester,
        value: issued.value,
        header: overrideHeader,
        cookie: overrideCookie,
      });
    } catch (err) {
      next(err);
    }
  });

  admin.get('/operators', async (_req, res, next) => {
    await deps.operators.list().then((operators) => res.json({ operators }), next);
  });
  admin.post('/operators', rootOnly, async (req, res, next) => {
    try {
      const issued = await deps.operators.create((req.body as { name?: unknown })?.name);
      await audited(req, res, {
        action: 'operator.create',
        target: issued.operator.name,
        before: null,
        after: issued.operator,
      });
      res.status(201).json(issued);
    } catch (err) {
      next(err);
    }
  });
  admin.delete('/operators/:name', rootOnly, async (req, res, next) => {
    try {
      const revoked = await deps.operators.revoke(String(req.params.name));
      await audited(req, res, {
        action: 'operator.revoke',
        target: revoked.name,
        before: { ...revoked, revokedAt: null },
        after: revoked,
      });
      res.json({ operator: revoked });
    } catch (err) {
      next(err);
    }
  });

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

  const saveTable = async (
    raw: unknown,
    req: Request,
    res: Response,
    change: { action: string; target: string; before: unknown; after: unknown },
  ) => {
    const table = buildRouteTable(raw, deps.captureMaxBytes, 'route table from the admin API');
    await writeRouteTableFile(deps.routesFile, table.file);
    deps.applyTable(table);
    await audited(req, res, change);
    res.json({ ok: true, routes: table.routes.map((r) => r.id) });
  };
  admin.put('/routes', (req, res, next) => {
    const before = deps.table().file;
    const { reason: _, ...body } = (req.body ?? {}) as Record<string, unknown>;
    saveTable(body, req, res, { action: 'routes.put', target: '*', before, after: body }).catch(next);
  });
  admin.put('/routes/:id', (req, res, next) => {
    const file = structuredClone(deps.table().file);
    const { reason: _, ...body } = (req.body ?? {}) as Record<string, unknown>;
    const route = { ...body, id: req.params.id };
    const at = file.routes.findIndex((r) => r.id === req.params.id);
    const routes = [...file.routes] as unknown[];
    if (at >= 0) routes[at] = route;
    else routes.push(route);
    const change = {
      action: 'route.put',
      target: req.params.id!,
      before: file.routes[at] ?? null,
      after: route,
    };
    saveTable({ ...file, routes }, req, res, change).catch(next);
  });
  admin.delete('/routes/:id', (req, res, next) => {
    const file = structuredClone(deps.table().file);
    const routes = file.routes.filter((r) => r.id !== req.params.id);
    if (routes.length === file.routes.length) return next(unknownRoute(req.params.id!));
    const before = file.routes.find((r) => r.id === req.params.id);
    saveTable({ ...file, routes }, req, res, {
      action: 'route.delete',
      target: req.params.id!,
      before,
      after: null,
    }).catch(next);
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
      const before = await deps.flags.get(route.flag);
      const next = applyShift(before, String(to));
      await deps.flags.set(route.flag, next);
      await audited(req, res, { action: 'flag.shift', target: route.id, before, after: next });
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
