import cluster, { type Worker } from 'node:cluster';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
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
 * node:cluster primary (PrimaryCounters below: the checks of one event-loop turn go to the
 * primary as one message), so a limit of N per window is N across all workers, not N per worker.
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

type Window = NonNullable<RateLimitSpec['perClient']>;

const passed: RateLimitVerdict = { limited: false, unchecked: false };
const unchecked: RateLimitVerdict = { limited: false, unchecked: true };

/**
 * Where counts are kept. `consume` resolves with 0 when the request is within the limit, with
 * the milliseconds until the window ends when it is over, and with -1 when the store could not
 * say (a fault: the request goes through unchecked).
 */
interface Counters {
  consume(name: string, window: Window, key: string): Promise<number>;
}

/** Counts in this process, one library limiter per name. */
class MemoryCounters implements Counters {
  readonly #limiters = new Map<string, RateLimiterMemory>();

  consume(name: string, window: Window, key: string): Promise<number> {
    let limiter = this.#limiters.get(name);
    if (limiter === undefined) {
      limiter = new RateLimiterMemory({
        keyPrefix: name,
        points: window.points,
        duration: window.durationMs / 1000,
      });
      this.#limiters.set(name, limiter);
    }
    return limiter.consume(key).then(
      () => 0,
      // the library rejects with its RateLimiterRes when over the limit, with an Error on a fault
      (res: unknown) => (res instanceof RateLimiterRes ? Math.max(1, res.msBeforeNext) : -1),
    );
  }
}

/**
 * The node:cluster channel between a worker's checks and the primary's counters. A worker
 * sends the checks of one event-loop turn as one message and gets one message back, so under
 * load one IPC round trip serves many requests (rate-limiter-flexible's own cluster support
 * sends a message and arms a timer per check; measured in docs/history/proxy.md).
 */
const channel = 'strangler-proxy.rate-limit';
/** [limiter name, points, durationMs, client key] */
type CheckMessage = [string, number, number, string];
type ToPrimary = { channel: typeof channel; batch: number; checks: CheckMessage[] };
/** consume's outcome for each check of the batch, in order */
type ToWorker = { channel: typeof channel; batch: number; outcomes: number[] };

interface Batch {
  checks: CheckMessage[];
  resolvers: ((outcome: number) => void)[];
}

class PrimaryCounters implements Counters {
  /** Sent and not answered yet, by batch id, with the timer that gives up on them. */
  readonly #sent = new Map<number, { batch: Batch; timer: NodeJS.Timeout }>();
  #next: Batch | undefined;
  #nextId = 0;

  constructor() {
    process.on('message', (m: ToWorker) => {
      if (m?.channel !== channel) return;
      const sent = this.#sent.get(m.batch);
      if (sent === undefined) return; // given up on already
      this.#sent.delete(m.batch);
      clearTimeout(sent.timer);
      const { resolvers } = sent.batch;
      for (let i = 0; i < resolvers.length; i++) resolvers[i]!(m.outcomes[i] ?? -1);
    });
  }

  consume(name: string, window: Window, key: string): Promise<number> {
    if (this.#next === undefined) {
      this.#next = { checks: [], resolvers: [] };
      setImmediate(this.#send);
    }
    const batch = this.#next;
    batch.checks.push([name, window.points, window.durationMs, key]);
    return new Promise((resolve) => batch.resolvers.push(resolve));
  }

  /** After the requests read in this turn of the event loop: their checks in one message. */
  readonly #send = (): void => {
    const batch = this.#next!;
    this.#next = undefined;
    if (!process.connected) {
      for (const resolve of batch.resolvers) resolve(-1);
      return;
    }
    const id = ++this.#nextId;
    const timer = setTimeout(() => {
      this.#sent.delete(id);
      for (const resolve of batch.resolvers) resolve(-1);
    }, CHECK_TIMEOUT_MS);
    this.#sent.set(id, { batch, timer });
    process.send!({ channel, batch: id, checks: batch.checks } satisfies ToPrimary);
  };
}

export function createRateLimitCheck(store: RateLimitStore): RateLimitCheck {
  const counters: Counters = store === 'cluster' ? new PrimaryCounters() : new MemoryCounters();
  // Limiters are named by what they count (route, scope, points, window): an unchanged limit
  // keeps its counters across route table reloads, a changed one starts afresh; in 'cluster'
  // the same name from every worker (and a restarted one) reaches the same primary counters.
  const names = new WeakMap<Window, string>();
  const nameOf = (routeId: string, scope: string, window: Window) => {
    let name = names.get(window);
    if (name === undefined) {
      name = `strangler:${routeId}:${scope}:${window.points}/${window.durationMs}`;
      names.set(window, name);
    }
    return name;
  };

  return async function checkRateLimit(routeId, limit, client) {
    // The client's own limit first: a client over it does not spend the route's budget, so
    // one client's burst cannot lock everyone else out of the route.
    if (limit.perClient !== undefined) {
      const name = nameOf(routeId, 'client', limit.perClient);
      const outcome = await counters.consume(name, limit.perClient, clientKey(limit, client));
      const verdict = toVerdict(outcome, 'per-client');
      if (verdict !== passed) return verdict;
    }
    if (limit.perRoute !== undefined) {
      const name = nameOf(routeId, 'route', limit.perRoute);
      return toVerdict(await counters.consume(name, limit.perRoute, 'route'), 'per-route');
    }
    return passed;
  };
}

/** The client's counter: `u:<user id>` or `a:<address>` (a user id never shares an address's counter). */
export function clientKey(limit: RateLimitSpec, client: RateLimitClient): string {
  if (limit.key === 'user' && client.userId) return `u:${client.userId}`;
  return `a:${client.address ?? 'unknown'}`;
}

function toVerdict(outcome: number, reason: RateLimitReason): RateLimitVerdict {
  if (outcome === 0) return passed;
  if (outcome < 0) return unchecked;
  return { limited: true, reason, retryAfterSeconds: Math.ceil(outcome / 1000) };
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
 * worker's counters and answers each worker's batch of checks with one message.
 */
export function serveClusterRateLimits(): void {
  if (servingCluster) return;
  servingCluster = true;
  const counters = new MemoryCounters();
  cluster.on('message', (worker: Worker, m: ToPrimary) => {
    if (m?.channel !== channel) return;
    Promise.all(
      m.checks.map(([name, points, durationMs, key]) => counters.consume(name, { points, durationMs }, key)),
    ).then((outcomes) => {
      if (worker.isConnected()) worker.send({ channel, batch: m.batch, outcomes } satisfies ToWorker);
    });
  });
}
let servingCluster = false;
