import { describe, expect, it } from 'vitest';
import { createRegistry, ProxyStats } from '../metrics.ts';

/** The part counters of aggregation routes: counted per part, side and outcome, summed across workers. */
describe('aggregation part counters', () => {
  it('count per route, part, side and outcome; a worker snapshot adds up in the primary', async () => {
    const worker = new ProxyStats();
    worker.aggregatePart('user-page', 'orders', 'new', 'ok');
    worker.aggregatePart('user-page', 'orders', 'new', 'ok');
    worker.aggregatePart('user-page', 'orders', 'new', 'timeout');
    worker.aggregatePart('user-page', 'products', 'none', 'dependency-missing');
    const primary = new ProxyStats();
    primary.aggregatePart('user-page', 'orders', 'new', 'ok');
    // a snapshot crosses a process boundary as JSON
    primary.add(JSON.parse(JSON.stringify(worker.snapshot())));
    expect(primary.summary().aggregateParts).toEqual([
      { route: 'user-page', part: 'orders', target: 'new', outcome: 'ok', count: 3 },
      { route: 'user-page', part: 'orders', target: 'new', outcome: 'timeout', count: 1 },
      { route: 'user-page', part: 'products', target: 'none', outcome: 'dependency-missing', count: 1 },
    ]);
    const text = await createRegistry(primary, () => []).metrics();
    expect(text).toContain(
      'strangler_proxy_aggregate_parts_total{route="user-page",part="orders",target="new",outcome="ok"} 3',
    );
    expect(text).toContain(
      'strangler_proxy_aggregate_parts_total{route="user-page",part="products",target="none",outcome="dependency-missing"} 1',
    );
    primary.clear();
    expect(primary.summary().aggregateParts).toEqual([]);
  });
});
