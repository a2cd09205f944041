import { describe, expect, it } from 'vitest';
import { parsePrometheus } from '../../cli/prometheus-text.ts';
import { compareCounts } from './proxy-counters.ts';

/** Written the way strangler-proxy/compare/metrics.ts exposes it on the admin /metrics. */
const scrape = [
  '# HELP strangler_compare_total Shadow comparisons by route and outcome',
  '# TYPE strangler_compare_total counter',
  'strangler_compare_total{route="products",outcome="match"} 90',
  'strangler_compare_total{route="products",outcome="mismatch"} 3',
  'strangler_compare_total{route="products",outcome="noise"} 5',
  'strangler_compare_total{route="products",outcome="lag"} 2',
  'strangler_compare_total{route="products",outcome="error"} 7',
  'strangler_compare_total{route="products",outcome="shed"} 11',
  'strangler_compare_total{route="orders",outcome="mismatch"} 40',
  'strangler_compare_total{route="orders",outcome="error"} 40',
  'strangler_compare_writes_total{route="products",outcome="match"} 8',
  'strangler_compare_writes_total{route="products",outcome="mismatch"} 2',
  'strangler_compare_writes_total{route="products",outcome="error"} 1',
  'strangler_compare_status_differences_total{route="products"} 2',
  'strangler_proxy_fallbacks_total{route="products",reason="new-5xx"} 6',
].join('\n');

describe('compareCounts', () => {
  it("reads one route's comparison outcomes: noise and lag are compared but never mismatches", () => {
    expect(compareCounts(parsePrometheus(scrape), 'products')).toEqual({
      compared: 100,
      mismatches: 3,
      noise: 7,
      errors: 7,
      shed: 11,
      statusDifferences: 2,
      writesCompared: 10,
      writeMismatches: 2,
    });
  });

  it('counts nothing for a route the engine has not seen', () => {
    expect(compareCounts(parsePrometheus(scrape), 'users')).toEqual({
      compared: 0,
      mismatches: 0,
      noise: 0,
      errors: 0,
      shed: 0,
      statusDifferences: 0,
      writesCompared: 0,
      writeMismatches: 0,
    });
  });
});
