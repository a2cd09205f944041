import { parsePrometheus, type Sample, sumOf } from '../../cli/prometheus-text.ts';
import type { ProxyAdmin } from './proxy-admin.ts';
import type { RouteCounters } from './traffic.ts';

/**
 * The proxy metrics the rehearsal reads, in one place (status uses them too). Comparison
 * counts come from the comparison engine plugged into the proxy's shadow hook.
 */
export const proxyMetrics = {
  requests: 'strangler_proxy_requests_total',
  fallbacks: 'strangler_proxy_fallbacks_total',
  /** strangler_compare_total{route,outcome}: match, mismatch, noise, lag, error, shed. */
  compare: 'strangler_compare_total',
  shadowFailed: 'strangler_proxy_shadow_requests_total',
};

/**
 * Compared = answers actually diffed (match, mismatch, noise, lag). Noise and lag (a read
 * model briefly behind, re-checked equal) are excluded from mismatches; errors and shed
 * exchanges were never compared.
 */
export function compareCounts(samples: Sample[], route: string) {
  const n = (outcome: string) => sumOf(samples, proxyMetrics.compare, { route, outcome });
  return {
    compared: n('match') + n('mismatch') + n('noise') + n('lag'),
    mismatches: n('mismatch'),
    noise: n('noise') + n('lag'),
  };
}

export async function routeCounters(admin: ProxyAdmin, route: string): Promise<RouteCounters> {
  const samples = parsePrometheus(await admin.metrics());
  return {
    ...compareCounts(samples, route),
    fallbacks: sumOf(samples, proxyMetrics.fallbacks, { route }),
    examples: [],
  };
}

/** Shadow copies that failed (all routes: the proxy counts them without a route label). */
export async function shadowFailures(admin: ProxyAdmin): Promise<number> {
  return sumOf(parsePrometheus(await admin.metrics()), proxyMetrics.shadowFailed, { outcome: 'failed' });
}
