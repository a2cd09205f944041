import { parsePrometheus, sumOf } from '../../cli/prometheus-text.ts';
import type { ProxyAdmin } from './proxy-admin.ts';
import type { RouteCounters } from './traffic.ts';

/**
 * The proxy metrics the rehearsal reads, in one place (status uses them too). Comparison
 * counts come from the comparison engine plugged into the proxy's shadow hook.
 */
export const proxyMetrics = {
  requests: 'strangler_proxy_requests_total',
  fallbacks: 'strangler_proxy_fallbacks_total',
  compared: 'strangler_compare_comparisons_total',
  mismatches: 'strangler_compare_mismatches_total',
  noise: 'strangler_compare_noise_total',
  shadowFailed: 'strangler_proxy_shadow_requests_total',
};

export async function routeCounters(admin: ProxyAdmin, route: string): Promise<RouteCounters> {
  const samples = parsePrometheus(await admin.metrics());
  return {
    compared: sumOf(samples, proxyMetrics.compared, { route }),
    mismatches: sumOf(samples, proxyMetrics.mismatches, { route }),
    noise: sumOf(samples, proxyMetrics.noise, { route }),
    fallbacks: sumOf(samples, proxyMetrics.fallbacks, { route }),
    examples: [],
  };
}

/** Shadow copies that failed (all routes: the proxy counts them without a route label). */
export async function shadowFailures(admin: ProxyAdmin): Promise<number> {
  return sumOf(parsePrometheus(await admin.metrics()), proxyMetrics.shadowFailed, { outcome: 'failed' });
}
