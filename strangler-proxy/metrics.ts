import { Registry } from 'prom-client';
import type { BreakerState } from './breakers.ts';

/**
 * Request statistics kept as plain numbers on the hot path (one object per route×target,
 * a Map per status) and turned into Prometheus metrics only when /metrics is scraped, so
 * no label hashing happens per request.
 */
const bucketsSeconds = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export class RouteTargetStats {
  readonly byStatus = new Map<number, number>();
  readonly buckets = new Float64Array(bucketsSeconds.length);
  count = 0;
  sumSeconds = 0;
  constructor(
    readonly route: string,
    readonly target: string,
  ) {}

  record(status: number, seconds: number): void {
    this.count++;
    this.sumSeconds += seconds;
    this.byStatus.set(status, (this.byStatus.get(status) ?? 0) + 1);
    for (let i = 0; i < bucketsSeconds.length; i++) {
      if (seconds <= bucketsSeconds[i]!) {
        this.buckets[i]!++;
        break;
      }
    }
  }
}

export interface StatsSnapshot {
  records: {
    route: string;
    target: string;
    byStatus: [number, number][];
    buckets: number[];
    count: number;
    sumSeconds: number;
  }[];
  fallbacks: [string, number][];
  rejected: [string, number][];
  aggregateParts?: [string, number][];
  rateLimited: [string, number][];
  bulkhead: [string, number][];
  overrides?: [string, number][];
}

export class ProxyStats {
  readonly #records = new Map<string, RouteTargetStats>();
  readonly fallbacks = new Map<string, number>();
  readonly rejected = new Map<string, number>();
  /** Aggregation routes' parts (aggregate/): route, part, side that served, outcome. */
  readonly aggregateParts = new Map<string, number>();
  /** By route and reason: per-client, per-route (refused with 429), unchecked (the store did not answer). */
  readonly rateLimited = new Map<string, number>();
  /** Per route: requests a bulkhead refused (by reason: limits/bulkhead.ts) or made wait ('queued'). */
  readonly bulkhead = new Map<string, number>();
  /** Testers' overrides per route: side applied (legacy, new) or ignored, with the outcome or why. */
  readonly overrides = new Map<string, number>();

  /** Cache the record on the caller side where possible; this lookup is the slow path. */
  recordFor(route: string, target: string): RouteTargetStats {
    const key = `${route}\u0000${target}`;
    let rec = this.#records.get(key);
    if (!rec) {
      rec = new RouteTargetStats(route, target);
      this.#records.set(key, rec);
    }
    return rec;
  }

  fallback(route: string, reason: string): void {
    const key = `${route}\u0000${reason}`;
    this.fallbacks.set(key, (this.fallbacks.get(key) ?? 0) + 1);
  }

  aggregatePart(route: string, part: string, target: string, outcome: string): void {
    const key = `${route}\u0000${part}\u0000${target}\u0000${outcome}`;
    this.aggregateParts.set(key, (this.aggregateParts.get(key) ?? 0) + 1);
  }

  reject(reason: string): void {
    this.rejected.set(reason, (this.rejected.get(reason) ?? 0) + 1);
  }

  rateLimit(route: string, reason: 'per-client' | 'per-route' | 'unchecked'): void {
    const key = `${route}\u0000${reason}`;
    this.rateLimited.set(key, (this.rateLimited.get(key) ?? 0) + 1);
  }

  override(route: string, side: 'legacy' | 'new' | 'ignored', outcome: string): void {
    const key = `${route}\u0000${side}\u0000${outcome}`;
    this.overrides.set(key, (this.overrides.get(key) ?? 0) + 1);
  }

  bulkheadEvent(route: string, event: string): void {
    const key = `${route}\u0000${event}`;
    this.bulkhead.set(key, (this.bulkhead.get(key) ?? 0) + 1);
  }

  records(): RouteTargetStats[] {
    return [...this.#records.values()];
  }

  /** Plain data for another process (PROXY_WORKERS > 1: a worker's counters, sent to the primary). */
  snapshot(): StatsSnapshot {
    return {
      records: this.records().map((r) => ({
        route: r.route,
        target: r.target,
        byStatus: [...r.byStatus],
        buckets: [...r.buckets],
        count: r.count,
        sumSeconds: r.sumSeconds,
      })),
      fallbacks: [...this.fallbacks],
      rejected: [...this.rejected],
      aggregateParts: [...this.aggregateParts],
      rateLimited: [...this.rateLimited],
      bulkhead: [...this.bulkhead],
      overrides: [...this.overrides],
    };
  }

  clear(): void {
    this.#records.clear();
    this.fallbacks.clear();
    this.rejected.clear();
    this.aggregateParts.clear();
    this.rateLimited.clear();
    this.bulkhead.clear();
    this.overrides.clear();
  }

  /** Adds a snapshot's counts to this object's (the primary sums its workers' snapshots). */
  add(snapshot: StatsSnapshot): void {
    for (const s of snapshot.records) {
      const rec = this.recordFor(s.route, s.target);
      rec.count += s.count;
      rec.sumSeconds += s.sumSeconds;
      for (const [status, n] of s.byStatus) rec.byStatus.set(status, (rec.byStatus.get(status) ?? 0) + n);
      for (let i = 0; i < rec.buckets.length; i++) rec.buckets[i]! += s.buckets[i] ?? 0;
    }
    for (const [k, n] of snapshot.fallbacks) this.fallbacks.set(k, (this.fallbacks.get(k) ?? 0) + n);
    for (const [k, n] of snapshot.rejected) this.rejected.set(k, (this.rejected.get(k) ?? 0) + n);
    for (const [k, n] of snapshot.aggregateParts ?? [])
      this.aggregateParts.set(k, (this.aggregateParts.get(k) ?? 0) + n);
    for (const [k, n] of snapshot.rateLimited) this.rateLimited.set(k, (this.rateLimited.get(k) ?? 0) + n);
    for (const [k, n] of snapshot.bulkhead) this.bulkhead.set(k, (this.bulkhead.get(k) ?? 0) + n);
    for (const [k, n] of snapshot.overrides ?? []) this.overrides.set(k, (this.overrides.get(k) ?? 0) + n);
  }

  /** The admin API's JSON view. */
  summary() {
    return {
      routes: this.records().map((r) => ({
        route: r.route,
        target: r.target,
        requests: r.count,
        byStatus: Object.fromEntries(r.byStatus),
        meanLatencyMs: r.count ? Math.round((r.sumSeconds / r.count) * 1e6) / 1e3 : 0,
      })),
      fallbacks: [...this.fallbacks].map(([k, n]) => {
        const [route, reason] = k.split('\u0000');
        return { route, reason, count: n };
      }),
      rejected: Object.fromEntries(this.rejected),
      aggregateParts: [...this.aggregateParts].map(([k, n]) => {
        const [route, part, target, outcome] = k.split('\u0000');
        return { route, part, target, outcome, count: n };
      }),
      rateLimited: [...this.rateLimited].map(([k, n]) => {
        const [route, reason] = k.split('\u0000');
        return { route, reason, count: n };
      }),
      bulkhead: [...this.bulkhead].map(([k, n]) => {
        const [route, event] = k.split('\u0000');
        return { route, event, count: n };
      }),
      overrides: [...this.overrides].map(([k, n]) => {
        const [route, side, outcome] = k.split('\u0000');
        return { route, side, outcome, count: n };
      }),
    };
  }
}

type Value = { labels: Record<string, string | number>; value: number; metricName?: string };

/** A prom-client registry whose metrics read ProxyStats at scrape time. */
export function createRegistry(stats: ProxyStats, breakers: () => [string, BreakerState][]): Registry {
  const registry = new Registry();
  const metric = (name: string, help: string, type: string, values: () => Value[]) => ({
    name,
    help,
    type,
    aggregator: 'sum',
    get: async () => ({ name, help, type, values: values(), aggregator: 'sum' }),
  });
  const add = (m: ReturnType<typeof metric>) => registry.registerMetric(m as never);
  add(
    metric('strangler_proxy_requests_total', 'Requests by route, serving target and status', 'counter', () =>
      stats.records().flatMap((r) =>
        [...r.byStatus].map(([status, value]) => ({
          labels: { route: r.route, target: r.target, status },
          value,
        })),
      ),
    ),
  );
  add(
    metric(
      'strangler_proxy_request_duration_seconds',
      'Time to the end of the response, by route and target',
      'histogram',
      () =>
        stats.records().flatMap((r) => {
          const labels = { route: r.route, target: r.target };
          const out: Value[] = [];
          let cumulative = 0;
          bucketsSeconds.forEach((le, i) => {
            cumulative += r.buckets[i]!;
            out.push({
              metricName: 'strangler_proxy_request_duration_seconds_bucket',
              labels: { ...labels, le },
              value: cumulative,
            });
          });
          out.push({
            metricName: 'strangler_proxy_request_duration_seconds_bucket',
            labels: { ...labels, le: '+Inf' },
            value: r.count,
          });
          out.push({
            metricName: 'strangler_proxy_request_duration_seconds_sum',
            labels,
            value: r.sumSeconds,
          });
          out.push({ metricName: 'strangler_proxy_request_duration_seconds_count', labels, value: r.count });
          return out;
        }),
    ),
  );
  add(
    metric(
      'strangler_proxy_fallbacks_total',
      'Requests the new side failed and legacy served, by route and reason',
      'counter',
      () =>
        [...stats.fallbacks].map(([k, value]) => {
          const [route, reason] = k.split('\u0000');
          return { labels: { route: route!, reason: reason! }, value };
        }),
    ),
  );
  add(
    metric(
      'strangler_proxy_rejected_total',
      'Requests the proxy refused itself (400, 413, 431), by reason',
      'counter',
      () => [...stats.rejected].map(([reason, value]) => ({ labels: { reason }, value })),
    ),
  );
  const rateLimited = (unchecked: boolean) => (): Value[] =>
    [...stats.rateLimited].flatMap(([k, value]): Value[] => {
      const [route, reason] = k.split('\u0000') as [string, string];
      if ((reason === 'unchecked') !== unchecked) return [];
      return [{ labels: unchecked ? { route } : { route, reason }, value }];
    });
  add(
    metric(
      'strangler_proxy_rate_limited_total',
      "Requests refused with 429 by a route's rate limit, by route and reason (per-client, per-route)",
      'counter',
      rateLimited(false),
    ),
  );
  add(
    metric(
      'strangler_proxy_rate_limit_unchecked_total',
      'Requests let through unchecked because the rate-limit store did not answer in time, by route',
      'counter',
      rateLimited(true),
    ),
  );
  add(
    metric(
      'strangler_proxy_aggregate_parts_total',
      'Parts of aggregation routes, by route, part, serving target and outcome (ok or the failure)',
      'counter',
      () =>
        [...stats.aggregateParts].map(([k, value]) => {
          const [route, part, target, outcome] = k.split('\u0000');
          return { labels: { route: route!, part: part!, target: target!, outcome: outcome! }, value };
        }),
    ),
  );
  add(
    metric(
      'strangler_proxy_bulkhead_total',
      "Requests a route's bulkhead refused with 503 (full, queue-full, queue-timeout) or made wait (queued)",
      'counter',
      () =>
        [...stats.bulkhead].map(([k, value]) => {
          const [route, event] = k.split('\u0000');
          return { labels: { route: route!, event: event! }, value };
        }),
    ),
  );
  add(
    metric(
      'strangler_proxy_overrides_total',
      "Requests with a tester's override: side legacy or new (outcome applied), or ignored (outcome: malformed, bad-signature, expired, other-route)",
      'counter',
      () =>
        [...stats.overrides].map(([k, value]) => {
          const [route, side, outcome] = k.split('\u0000');
          return { labels: { route: route!, side: side!, outcome: outcome! }, value };
        }),
    ),
  );
  add(
    metric(
      'strangler_proxy_breaker_state',
      'Circuit breaker per new upstream: 0 closed, 1 half-open, 2 open',
      'gauge',
      () =>
        breakers().map(([upstream, state]) => ({
          labels: { upstream },
          value: state === 'closed' ? 0 : state === 'half-open' ? 1 : 2,
        })),
    ),
  );
  return registry;
}
