import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';

/**
 * PROXY_WORKERS=2: each worker has its own bulkhead per route (docs/proxy.md, Bulkheads), so the
 * upstream sees at most workers × maxInFlight of the route's requests, every request beyond
 * that is a 503 that never reached it, and the admin API sums both workers' counts.
 */
let rig: ProxyRig;

beforeAll(async () => {
  rig = await startProxyRig({
    routes: ({ legacy, next }) => ({
      legacy: legacy.url,
      routes: [
        {
          id: 'writes',
          methods: ['POST'],
          paths: ['/products'],
          new: next.url,
          bulkhead: { maxInFlight: 2 },
          compare: { enabled: false },
        },
      ],
    }),
    env: { PROXY_WORKERS: '2' },
  });
});
afterAll(() => rig?.stop());

describe('bulkheads with two workers', () => {
  it('holds maxInFlight per worker and counts every refusal once', async () => {
    const since = Date.now();
    const answers = await Promise.all(
      Array.from({ length: 12 }, async () => {
        const res = await fetch(`${rig.proxy.url}/products`, {
          method: 'POST',
          headers: { connection: 'close', 'x-test-delay-ms': '1500' },
          body: '{}',
        });
        await res.text();
        return res.status;
      }),
    );
    const ok = answers.filter((s) => s === 200).length;
    const busy = answers.filter((s) => s === 503).length;
    expect(ok + busy).toBe(12);
    // at most 2 per worker; at least the 2 of one worker
    expect(ok).toBeGreaterThanOrEqual(2);
    expect(ok).toBeLessThanOrEqual(4);
    const seen = (await rig.legacy.requests()).filter(
      (r) => r.url === '/products' && (r as unknown as { at: number }).at >= since,
    );
    expect(seen.length).toBe(ok);
    const stats = (await (await rig.proxy.admin('/stats')).json()) as {
      bulkhead: { route: string; event: string; count: number }[];
    };
    expect(stats.bulkhead).toEqual([{ route: 'writes', event: 'full', count: busy }]);
    const metrics = await (await rig.proxy.admin('/metrics')).text();
    expect(metrics).toContain(`strangler_proxy_bulkhead_total{route="writes",event="full"} ${busy}`);
  });
});
