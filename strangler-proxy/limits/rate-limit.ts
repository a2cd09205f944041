import {
  RateLimiterCluster,
  RateLimiterClusterMaster,
  RateLimiterMemory,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import type { RouteSpec } from '../routes/route-schema.ts';

/**
 * Rate limits per route and per client, the one home of the concept: every front end (the
 * standalone proxy's request path, the Express middleware) asks this module and answers what
 * it says. Counting is rate-limiter-flexible's (a fixed window per key, opened by the key's
 * first request); this module maps a route's `rateLimit` (routes/route-schema.ts) onto its
 * limiters and a client onto its key.
 *
 * Interface:
 *   const check = createRateLimitCheck('memory' | 'cluster');
 *   const verdict = await check(routeId, route.spec.rateLimit, { userId, address });
 *   if (verdict.limited) → 429, `Retry-After: verdict.retryAfterSeconds`, rateLimitMessage(…)
 *   serveClusterRateLimits()  once, in the node:cluster primary, when workers use 'cluster'
 *
 * Stores: 'memory' counts in this process (one process serves). 'cluster' counts in the
 * node:cluster primary (the library's cluster support: each check is one IPC round trip to the
 * primary), so a limit of N per window is N across all workers, not N per worker.
 *
 * A store that does not answer (the primary busy or gone for CHECK_TIMEOUT_MS) lets the request
 * through with `unchecked` set: a limiter fault must not turn into an outage of the route.
 */
export type RateLimitSpec = NonNullable<RouteSpec['rateLimit']>;
export type RateLimitReason = 'per-client' | 'per-route';
export type RateLimitStore = 'memory' | 'cluster';

/** Who is asking: the user id (as stickiness reads it: user header, else user cookie) and the client address. */
export interface RateLimitClient {
  userId: string | undefined;
  address: string | undefined;
}

export type RateLimitVerdict =
  | { limited: false; unchecked: boolean }
  | { limited: true; reason: RateLimitReason; retryAfterSeconds: number };

export type RateLimitCheck = (
  routeId: string,
  limit: RateLimitSpec,
  client: RateLimitClient,
) => Promise<RateLimitVerdict>;

/** How long a worker waits for the primary's answer before letting the request through. */
export const CHECK_TIMEOUT_MS = 1000;

interface Limiter {
  consume(key: string): Promise<RateLimiterRes>;
}

/** A route's limiters, built once per `rateLimit` object (a route table reload makes new ones). */
interface RouteLimiters {
  perClient: Limiter | undefined;
  perRoute: Limiter | undefined;
}

const passed: RateLimitVerdict = { limited: false, unchecked: false };
const unchecked: RateLimitVerdict = { limited: false, unchecked: true };

export function createRateLimitCheck(store: RateLimitStore): RateLimitCheck {
  // Limiters by what they count (route, scope, points, window): an unchanged limit keeps its
  // counters across route table reloads, a changed one starts afresh. In 'cluster' the same
  // name in every worker (and a restarted worker) reaches the same counters in the primary.
  const byName = new Map<string, Limiter>();
  const byLimit = new WeakMap<RateLimitSpec, RouteLimiters>();
  const limiter = (routeId: string, scope: string, window: RateLimitSpec['perClient']) => {
    if (window === undefined) return undefined;
    const name = `strangler:${routeId}:${scope}:${window.points}/${window.durationMs}`;
    let l = byName.get(name);
    if (l === undefined) {
      const options = { keyPrefix: name, points: window.points, duration: window.durationMs / 1000 };
      l =
        store === 'cluster'
          ? new RateLimiterCluster({ ...options, timeoutMs: CHECK_TIMEOUT_MS })
          : new RateLimiterMemory(options);
      byName.set(name, l);
    }
    return l;
  };
  const limitersFor = (routeId: string, limit: RateLimitSpec): RouteLimiters => {
    let l = byLimit.get(limit);
    if (l === undefined) {
      l = {
        perClient: limiter(routeId, 'client', limit.perClient),
        perRoute: limiter(routeId, 'route', limit.perRoute),
      };
      byLimit.set(limit, l);
    }
    return l;
  };

  return async function checkRateLimit(routeId, limit, client) {
    const { perClient, perRoute } = limitersFor(routeId, limit);
    // The client's own limit first: a client over it does not spend the route's budget, so
    // one client's burst cannot lock everyone else out of the route.
    if (perClient !== undefined) {
      const verdict = await consume(perClient, clientKey(limit, client), 'per-client');
      if (verdict !== passed) return verdict;
    }
    if (perRoute !== undefined) return consume(perRoute, 'route', 'per-route');
    return passed;
  };
}

/** The client's counter: `u:<user id>` or `a:<address>` (a user id never shares an address's counter). */
export function clientKey(limit: RateLimitSpec, client: RateLimitClient): string {
  if (limit.key === 'user' && client.userId) return `u:${client.userId}`;
  return `a:${client.address ?? 'unknown'}`;
}

async function consume(limiter: Limiter, key: string, reason: RateLimitReason): Promise<RateLimitVerdict> {
  try {
    await limiter.consume(key);
    return passed;
  } catch (res) {
    // the library rejects with its RateLimiterRes when over the limit, with an Error on a fault
    if (!(res instanceof RateLimiterRes)) return unchecked;
    return { limited: true, reason, retryAfterSeconds: Math.max(1, Math.ceil(res.msBeforeNext / 1000)) };
  }
}

/** What a 429's JSON body says (the same words from every front end). */
export function rateLimitMessage(
  routeId: string,
  limit: RateLimitSpec,
  verdict: Extract<RateLimitVerdict, { limited: true }>,
): string {
  const window = verdict.reason === 'per-client' ? limit.perClient! : limit.perRoute!;
  const whose = verdict.reason === 'per-client' ? 'per-client' : 'whole-route';
  return `route "${routeId}" is over its ${whose} rate limit of ${window.points} requests per ${window.durationMs} ms; retry after ${verdict.retryAfterSeconds} s`;
}

/**
 * In the node:cluster primary, before any worker checks with the 'cluster' store: holds every
 * worker's counters and answers their checks. Idempotent (the library keeps one instance).
 */
export function serveClusterRateLimits(): void {
  new RateLimiterClusterMaster();
}
