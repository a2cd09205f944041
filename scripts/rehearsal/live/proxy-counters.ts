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
  /** strangler_compare_writes_total{route,outcome}: the dry-run writes among them. */
  compareWrites: 'strangler_compare_writes_total',
  /** strangler_compare_status_differences_total{route}: compared answers with another status than legacy's. */
  statusDifferences: 'strangler_compare_status_differences_total',
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
  /** Compared answers whose status differed from legacy's (the gates count them as errors). */
  statusDifferences: number;
  /** The dry-run writes among `compared`, and among `mismatches`. */
  writesCompared: number;
  writeMismatches: number;
}

/** A route's comparison counts from one scrape; errors and shed exchanges were never compared. */
export function compareCounts(samples: Sample[], route: string): CompareCounts {
  const n = (outcome: string) => sumOf(samples, proxyMetrics.compare, { route, outcome });
  const w = (outcome: string) => sumOf(samples, proxyMetrics.compareWrites, { route, outcome });
  return {
    compared: n('match') + n('mismatch') + n('noise') + n('lag'),
    mismatches: n('mismatch'),
    noise: n('noise') + n('lag'),
    errors: n('error'),
    shed: n('shed'),
    statusDifferences: sumOf(samples, proxyMetrics.statusDifferences, { route }),
    writesCompared: w('match') + w('mismatch') + w('noise') + w('lag'),
    writeMismatches: w('mismatch'),
  };
}

export async function compareCountsOf(admin: ProxyAdmin, route: string): Promise<CompareCounts> {
  return compareCounts(parsePrometheus(await admin.metrics()), route);
}

export async function routeCounters(admin: ProxyAdmin, route: string): Promise<RouteCounters> {
  const samples = parsePrometheus(await admin.metrics());
  const { compared, mismatches, noise, statusDifferences } = compareCounts(samples, route);
  return {
    compared,
    mismatches,
    noise,
    statusDifferences,
    fallbacks: sumOf(samples, proxyMetrics.fallbacks, { route }),
    examples: [],
  };
}
