import { ProxyError } from '../errors.ts';
import type { Route } from '../routes/route-table.ts';

/**
 * An aggregation route has no flag of its own (its parts follow their routes' flags), so a
 * shift of it would write a flag nothing reads: both ways of shifting (the admin API and the
 * `strangler shift` command) refuse it with this error, naming the routes to shift instead.
 */
export function aggregateShiftError(route: Route): ProxyError | undefined {
  if (!route.aggregate) return undefined;
  const parts = [...new Set(route.aggregate.parts.flatMap((p) => (p.route ? [p.route.id] : [])))];
  return new ProxyError(
    'PROXY_ERR_BAD_SHIFT',
    `route "${route.id}" is an aggregation route and has no flag of its own: shift the routes its parts name (${parts.join(', ') || 'none'})`,
    { status: 400 },
  );
}
