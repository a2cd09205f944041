import { Counter, type Registry } from 'prom-client';
import { type ComparisonStore, outcomes } from './comparison-store.ts';

/**
 * `strangler_compare_total{route,outcome}` (every comparison, reads and dry-run writes),
 * `strangler_compare_writes_total{route,outcome}` (the dry-run writes among them) and
 * `strangler_compare_status_differences_total{route}` (comparisons whose answers' statuses
 * differed): read from the store at scrape time, so the counts continue across proxy restarts
 * (the store persists them).
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
  new Counter({
    name: 'strangler_compare_writes_total',
    help: 'Dry-run write comparisons by route and outcome (a subset of strangler_compare_total)',
    labelNames: ['route', 'outcome'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [route, counters] of Object.entries(store.writeCounters())) {
        for (const outcome of outcomes) this.inc({ route, outcome }, counters[outcome]);
      }
    },
  });
  new Counter({
    name: 'strangler_compare_status_differences_total',
    help: "Comparisons whose new-side status differed from legacy's, by route",
    labelNames: ['route'],
    registers: [registry],
    collect() {
      this.reset();
      for (const [route, n] of Object.entries(store.statusDifferences())) this.inc({ route }, n);
    },
  });
}
