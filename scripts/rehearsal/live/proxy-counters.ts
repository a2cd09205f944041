import { parsePrometheus, type Sample, sumOf } from '../../cli/prometheus-text.ts';
import type { ProxyAdmin } from './proxy-admin.ts';
import type { RouteCounters } from './traffic.ts';

/**
 * The proxy metrics the rehearsal reads, in one place (status uses them too). Comparison
 * counts come from the comparison engine plugged into the proxy's shadow hook
 * (strangler-proxy/compare/metrics.ts).
 */
export const proxyMetrics = {
  requests: 'strangler_proxy_requests_total',
  fallbacks: 'strangler_proxy_fallbacks_total',
  /** strangler_compare_total{route,outcome}: match, mismatch, noise, lag, error, shed. */
  compare: 'strangler_compare_total',
};

export interface CompareCounts {
  /** Answers actually diffed: match, mismatch, noise and lag. */
  compared: number;
  /** Real differences only: noise and lag are not mismatches. */
  mismatches: number;
  /** Differences dismissed by the rules (noise) or gone once the new side caught up (lag). */
  noise: number;
  /** Exchanges the engine could not compare: the other side failed, a fallback, a body over the cap. */
  errors: number;
  /** Exchanges dropped unexamined because the engine's queue was full. */
  shed: number;
}

/** A route's comparison counts from one scrape; errors and shed exchanges were never compared. */
export function compareCounts(samples: Sample[], route: string): CompareCounts {
  const n = (outcome: string) => sumOf(samples, proxyMetrics.compare, { route, outcome });
  return {
    compared: n('match') + n('mismatch') + n('noise') + n('lag'),
    mismatches: n('mismatch'),
    noise: n('noise') + n('lag'),
    errors: n('error'),
    shed: n('shed'),
  };
}

export async function compareCountsOf(admin: ProxyAdmin, route: string): Promise<CompareCounts> {
  return compareCounts(parsePrometheus(await admin.metrics()), route);
}

export async function routeCounters(admin: ProxyAdmin, route: string): Promise<RouteCounters> {
  const samples = parsePrometheus(await admin.metrics());
  const { compared, mismatches, noise } = compareCounts(samples, route);
  return {
    compared,
    mismatches,
    noise,
    fallbacks: sumOf(samples, proxyMetrics.fallbacks, { route }),
    examples: [],
  };
}
