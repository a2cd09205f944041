import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontEnds, type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';

/**
 * Fallback and breaking against a real new service that answers 500, is slow, or is killed.
 * Route `orders` is in mode new for everyone; GET is idempotent, POST is not.
 */
let rig: ProxyRig;

async function call(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  const res = await fetch(rig.proxy.url + path, { method, body, headers });
  const text = await res.text();
  return {
    status: res.status,
    target: res.headers.get('x-strangler-target'),
    json: JSON.parse(text) as Record<string, unknown>,
  };
}

async function stats() {
  return (await (await rig.proxy.admin('/stats')).json()) as {
    fallbacks: { route: string; reason: string; count: number }[];
    breakers: Record<string, string>;
  };
}
const fallbacks = async (reason: string) =>
  (await stats()).fallbacks.find((f) => f.reason === reason)?.count ?? 0;

describe.each(frontEnds)('through the %s', (frontEnd) => {
  beforeAll(async () => {
    rig = await startProxyRig({
      frontEnd,
      routes: ({ legacy, next }) => ({
        legacy: legacy.url,
        routes: [
          {
            id: 'orders',
            methods: ['GET', 'POST'],
            paths: ['/orders', '/orders/:id'],
            new: next.url,
            timeouts: { headersMs: 500, bodyMs: 2000 },
          },
        ],
      }),
      flags: { 'strangler.orders': { mode: 'new', percent: 100 } },
      env: { PROXY_BREAKER_VOLUME: '8', PROXY_BREAKER_RESET_MS: '1500', PROXY_BREAKER_ERROR_PERCENT: '50' },
    });
    // flags are fetched before the public port opens, but make sure new really serves
    const res = await fetch(`${rig.proxy.url}/orders/1`);
    expect(res.headers.get('x-strangler-target')).toBe('new');
  });
  afterAll(() => rig?.stop());

  describe('fallback to legacy', () => {
    it('an idempotent request falls back when new answers 5xx, and it is counted', async () => {
      const before = await fallbacks('new-5xx');
      const r = await call('GET', '/orders/1', undefined, { 'x-test-status': '503' });
      expect(r).toMatchObject({ status: 503, target: 'legacy' }); // legacy got the same header and answered it
      const r2 = await call('GET', '/orders/2?x=1');
      expect(r2).toMatchObject({ status: 200, target: 'new' });
      expect(await fallbacks('new-5xx')).toBe(before + 1);
    });

    it('a non-idempotent request that new received gets new’s error, no fallback', async () => {
      const before = await fallbacks('new-5xx');
      const r = await call('POST', '/orders', '{"a":1}', {
        'x-test-status': '500',
        'content-type': 'application/json',
      });
      expect(r).toMatchObject({ status: 500, target: 'new', json: { upstream: 'new', bodyBytes: 7 } });
      expect(await fallbacks('new-5xx')).toBe(before);
    });

    it('a slow new service: GET falls back after the route timeout, POST gets 504', async () => {
      const before = await fallbacks('timeout');
      const started = Date.now();
      await rig.next.control({ delayMs: 1500 });
      try {
        const r = await call('GET', '/orders/3');
        expect(r).toMatchObject({ status: 200, target: 'legacy', json: { upstream: 'legacy' } });
        expect(Date.now() - started).toBeLessThan(1400); // 500 ms route timeout, then legacy
        expect(await fallbacks('timeout')).toBe(before + 1);
        const p = await call('POST', '/orders', 'x');
        expect(p.status).toBe(504);
        expect(p.json).toMatchObject({ error: { code: 'PROXY_ERR_UPSTREAM_TIMEOUT' } });
      } finally {
        await rig.next.control({});
      }
    });

    it('a breaker opens after repeated 500s, sends traffic to legacy, and closes after a half-open probe', async () => {
      await rig.next.control({ status: 500 });
      for (let i = 0; i < 6; i++) {
        const r = await call('GET', `/orders/${i}`);
        expect(r.target).toBe('legacy');
      }
      expect((await stats()).breakers[rig.next.url]).toBe('open');
      const seenBefore = (await rig.next.requests()).length;
      for (let i = 0; i < 5; i++) expect((await call('GET', '/orders/9')).target).toBe('legacy');
      expect((await rig.next.requests()).length).toBe(seenBefore); // open: new is not even tried
      expect(await fallbacks('breaker-open')).toBeGreaterThanOrEqual(5);
      // new recovers; after the reset timeout one probe goes through and closes the breaker
      await rig.next.control({});
      await new Promise((r) => setTimeout(r, 1700));
      expect((await stats()).breakers[rig.next.url]).toBe('half-open');
      expect((await call('GET', '/orders/10')).target).toBe('new');
      expect((await stats()).breakers[rig.next.url]).toBe('closed');
      const metrics = await (await rig.proxy.admin('/metrics')).text();
      expect(metrics).toMatch(/strangler_proxy_breaker_state\{upstream="http:\/\/127\.0\.0\.1:\d+"\} 0/);
      expect(metrics).toMatch(/strangler_proxy_fallbacks_total\{route="orders",reason="breaker-open"\} \d+/);
    });

    it('a killed new service: GET and POST (never received) both fall back; the body reaches legacy intact', async () => {
      await rig.next.kill();
      const g = await call('GET', '/orders/4');
      expect(g).toMatchObject({ status: 200, target: 'legacy' });
      const body = JSON.stringify({ userId: 1, items: [{ productId: 2, quantity: 3 }] });
      const p = await call('POST', '/orders', body, { 'content-type': 'application/json' });
      expect(p).toMatchObject({
        status: 200,
        target: 'legacy',
        json: { upstream: 'legacy', bodyBytes: body.length },
      });
      expect(await fallbacks('refused')).toBeGreaterThanOrEqual(1);
      expect(rig.proxy.proc.child.exitCode).toBeNull();
    });
  });
});
