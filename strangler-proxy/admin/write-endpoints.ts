import express, { type Response } from 'express';
import { ProxyError } from '../errors.ts';
import type { Route, RouteTable } from '../routes/route-table.ts';
import type { WriteControl } from '../writes/write-control.ts';

/**
 * The write switch's primitives on the admin API (`strangler move-writes` drives them; see
 * docs/moving-writes.md):
 *   GET  /writes                   every route with writes: side, hold, writes in flight and held; recent hold ends
 *   GET  /writes/:route            the same for one route
 *   POST /writes/:route/hold       {"boundMs": 5000} → {hold}: the route's writes wait in the proxy
 *   POST /writes/:route/side       {"hold", "side": "new"}: the writes go there once let go (durable)
 *   POST /writes/:route/release    {"hold", "attempt"?}: the held writes go on; answers the hold's figures
 */
export function writeEndpoints(deps: { table: () => RouteTable; writes: WriteControl }): express.Router {
  const router = express.Router();
  const routeOf = (id: string): Route => {
    const route = deps.table().routes.find((r) => r.id === id);
    if (!route)
      throw new ProxyError('PROXY_ERR_UNKNOWN_ROUTE', `no route "${id}" in the route table`, { status: 404 });
    return route;
  };
  const body = (req: express.Request): Record<string, unknown> =>
    typeof req.body === 'object' && req.body !== null ? (req.body as Record<string, unknown>) : {};
  const answer = (res: Response, work: () => unknown, next: express.NextFunction) => {
    Promise.resolve()
      .then(work)
      .then((out) => res.json(out), next);
  };

  router.get('/writes', (_req, res, next) =>
    answer(
      res,
      async () => ({ routes: await deps.writes.status(deps.table().routes), recent: deps.writes.recent() }),
      next,
    ),
  );
  router.get('/writes/:route', (req, res, next) =>
    answer(
      res,
      async () => {
        const route = routeOf(req.params.route!);
        if (!route.spec.writes) return { route: route.id, writes: null };
        return { route: route.id, ...((await deps.writes.status([route]))[route.id] as object) };
      },
      next,
    ),
  );
  router.post('/writes/:route/hold', (req, res, next) =>
    answer(res, () => deps.writes.hold(routeOf(req.params.route!), body(req).boundMs), next),
  );
  router.post('/writes/:route/side', (req, res, next) =>
    answer(res, () => deps.writes.flip(routeOf(req.params.route!), body(req).hold, body(req).side), next),
  );
  router.post('/writes/:route/release', (req, res, next) =>
    answer(
      res,
      () => {
        const attempt = body(req).attempt;
        return deps.writes.release(
          routeOf(req.params.route!),
          body(req).hold,
          typeof attempt === 'object' && attempt !== null ? (attempt as Record<string, unknown>) : undefined,
        );
      },
      next,
    ),
  );
  return router;
}
