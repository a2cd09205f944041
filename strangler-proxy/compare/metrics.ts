import { Counter, type Registry } from 'prom-client';
import { type ComparisonStore, outcomes } from './comparison-store.ts';

/**
 * `strangler_compare_total{route,outcome}`: read from the store at scrape time, so the
 * counts continue across proxy restarts (the store persists them).
 */
export function registerCompareMetrics(registry: Registry, store: ComparisonStore): void {
  new Counter({
    name: 'strangler_compare_total',
    help: 'Shadow comparisons by route and outcome (match, mismatch, noise, lag, error, shed)',
    labelNames: ['route', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [route, counters] of Object.entries(store.counters())) {
        for (const outcome of outcomes) this.inc({ route, outcome }, counters[outcome]);
      }
    },
  });
}
