import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  frontEnds,
  type ProxyRig,
  startProxy,
  startProxyRig,
  startUpstream,
} from '../../strangler-proxy/testing/harness.ts';

/**
 * Rate limits per route and per client (strangler-proxy/limits/rate-limit.ts), through real
 * processes: a proxy (one process, then a primary with two workers), and the Express gateway
 * with the strangler middleware, in front of a legacy and a
 * new upstream, clients on real sockets. Every route serves legacy, so the legacy upstream's
 * request log says exactly which requests reached an upstream.
 */

interface Answer {
  status: number;
  retryAfter: string | null;
  body: string;
}

async function get(url: string, user?: string): Promise<Answer> {
  const res = await fetch(url, { headers: user ? { 'x-user-id': user } : {} });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

async function metric(rig: ProxyRig, name: string, labels: string): Promise<number> {
  const text = await (await rig.proxy.admin('/metrics')).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
}

async function upstreamSaw(rig: ProxyRig, path: string, user?: string): Promise<number> {
  const seen = await rig.legacy.requests();
  return seen.filter((r) => r.url === path && (user === undefined || r.headers['x-user-id'] === user)).length;
}

function expectRateLimited(a: Answer, reason: 'per-client' | 'whole-route', maxSeconds: number): void {
  expect(a.status).toBe(429);
  const seconds = Number(a.retryAfter);
  expect(Number.isInteger(seconds)).toBe(true);
  expect(seconds).toBeGreaterThanOrEqual(1);
  expect(seconds).toBeLessThanOrEqual(maxSeconds);
  const body = JSON.parse(a.body) as { error: { code: string; message: string } };
  expect(body.error.code).toBe('PROXY_ERR_RATE_LIMITED');
  expect(body.error.message).toContain(`over its ${reason} rate limit`);
}

const legacyFlags = {
  'strangler.products': { mode: 'legacy' as const, percent: 0 },
  'strangler.orders': { mode: 'legacy' as const, percent: 0 },
  'strangler.quick': { mode: 'legacy' as const, percent: 0 },
  'strangler.users': { mode: 'legacy' as const, percent: 0 },
};

// One process: the standalone proxy, and the Express middleware in the example gateway, which
// runs the same request path and the same limits module.
describe.each(frontEnds)('one process, through the %s', (frontEnd) => {
  let rig: ProxyRig;
  beforeAll(async () => {
    rig = await startProxyRig({
      frontEnd,
      routes: ({ legacy, next }) => ({
        legacy: legacy.url,
        routes: [
          {
            id: 'products',
            methods: ['GET', 'POST'],
            paths: ['/products/:id'],
            new: next.url,
            rateLimit: { perClient: { points: 5, durationMs: 20_000 } },
          },
          {
            id: 'orders',
            methods: ['GET'],
            paths: ['/orders/:id'],
            new: next.url,
            rateLimit: { key: 'address', perRoute: { points: 4, durationMs: 20_000 } },
          },
          {
            id: 'quick',
            methods: ['GET'],
            paths: ['/quick'],
            new: next.url,
            rateLimit: { perClient: { points: 2, durationMs: 1500 } },
          },
          { id: 'users', methods: ['GET'], paths: ['/users/:id'], new: next.url },
        ],
      }),
      flags: legacyFlags,
    });
  });
  afterAll(async () => {
    await rig?.stop();
  });

  it('a burst over the per-client limit gets exactly the expected 429s, with Retry-After, before any upstream', async () => {
    const answers = await Promise.all(
      Array.from({ length: 12 }, () => get(`${rig.proxy.url}/products/1`, 'u-burst')),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(5);
    const refused = answers.filter((a) => a.status !== 200);
    expect(refused).toHaveLength(7);
    for (const a of refused) expectRateLimited(a, 'per-client', 20);
    expect(await upstreamSaw(rig, '/products/1', 'u-burst')).toBe(5);
    expect(
      await metric(rig, 'strangler_proxy_rate_limited_total', 'route="products",reason="per-client"'),
    ).toBe(7);
    expect(await metric(rig, 'strangler_proxy_rate_limit_unchecked_total', 'route="products"')).toBe(0);
    const stats = (await (await rig.proxy.admin('/stats')).json()) as { rateLimited: unknown[] };
    expect(stats.rateLimited).toContainEqual({ route: 'products', reason: 'per-client', count: 7 });
  });

  it("one client's burst does not limit another client, nor a route without limits", async () => {
    for (let i = 0; i < 5; i++)
      expect((await get(`${rig.proxy.url}/products/2`, 'u-other')).status).toBe(200);
    expectRateLimited(await get(`${rig.proxy.url}/products/2`, 'u-other'), 'per-client', 20);
    // u-burst is far over its limit on products; users has none
    for (let i = 0; i < 20; i++) expect((await get(`${rig.proxy.url}/users/1`, 'u-burst')).status).toBe(200);
    expect(await upstreamSaw(rig, '/users/1', 'u-burst')).toBe(20);
  });

  it('a refused request with a body gets 429 and its connection closed; the body never goes upstream', async () => {
    for (let i = 0; i < 5; i++)
      expect(
        (
          await fetch(`${rig.proxy.url}/products/3`, {
            method: 'POST',
            headers: { 'x-user-id': 'u-post' },
            body: 'x',
          })
        ).status,
      ).toBe(200);
    const client = new Client(rig.proxy.url);
    try {
      const res = await client.request({
        method: 'POST',
        path: '/products/3',
        headers: { 'x-user-id': 'u-post', 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'flood' }),
      });
      await res.body.text();
      expect(res.statusCode).toBe(429);
      expect(res.headers.connection).toBe('close');
      expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    } finally {
      await client.close();
    }
    expect(await upstreamSaw(rig, '/products/3', 'u-post')).toBe(5);
  });

  it('the per-route limit holds across clients', async () => {
    const users = ['a', 'b', 'c', 'd', 'e', 'f'];
    const answers = [];
    for (const u of users) answers.push(await get(`${rig.proxy.url}/orders/${u}`, u));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 429, 429]);
    for (const a of answers.slice(4)) expectRateLimited(a, 'whole-route', 20);
    expect(await metric(rig, 'strangler_proxy_rate_limited_total', 'route="orders",reason="per-route"')).toBe(
      2,
    );
  });

  it('the limit resets after its window: Retry-After is when to come back', async () => {
    const first = await Promise.all(
      Array.from({ length: 3 }, () => get(`${rig.proxy.url}/quick`, 'u-quick')),
    );
    expect(first.map((a) => a.status).sort()).toEqual([200, 200, 429]);
    const refused = first.find((a) => a.status === 429)!;
    expectRateLimited(refused, 'per-client', 2);
    await sleep(Number(refused.retryAfter) * 1000);
    const again = await Promise.all(
      Array.from({ length: 3 }, () => get(`${rig.proxy.url}/quick`, 'u-quick')),
    );
    expect(again.map((a) => a.status).sort()).toEqual([200, 200, 429]);
    expect(await upstreamSaw(rig, '/quick', 'u-quick')).toBe(4);
  });

  it('an invalid limit through the admin API is refused naming the route and field', async () => {
    const res = await rig.proxy.admin('/routes/quick', {
      method: 'PUT',
      body: JSON.stringify({
        methods: ['GET'],
        paths: ['/quick'],
        new: rig.next.url,
        rateLimit: { perClient: { points: 0, durationMs: 1000 } },
      }),
    });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('PROXY_ERR_ROUTE_FILE_INVALID');
    expect(err.error.message).toContain(
      'routes[2].rateLimit.perClient.points: a whole number of requests ≥ 1 (route "quick")',
    );
  });
});

describe('bad config at start', () => {
  it('a route file with an invalid limit stops the proxy (exit 2) naming the route and field', async () => {
    const legacy = await startUpstream('legacy');
    try {
      await expect(
        startProxy({
          routes: {
            legacy: legacy.url,
            routes: [
              {
                id: 'products',
                methods: ['GET'],
                paths: ['/products/:id'],
                new: legacy.url,
                rateLimit: { key: 'ip' as never, perClient: { points: 5, durationMs: 20 } },
              },
            ],
          },
        }),
      ).rejects.toThrow(
        /exited with code 2[\s\S]*routes\[0\]\.rateLimit\.key: "user" .* \(route "products"\)[\s\S]*routes\[0\]\.rateLimit\.perClient\.durationMs: the window in whole milliseconds, ≥ 100 \(route "products"\)/,
      );
    } finally {
      await legacy.stop();
    }
  });
});

describe('two workers (PROXY_WORKERS=2)', () => {
  let rig: ProxyRig;
  let clients: Client[];
  beforeAll(async () => {
    rig = await startProxyRig({
      routes: ({ legacy, next }) => ({
        legacy: legacy.url,
        routes: [
          {
            id: 'products',
            methods: ['GET'],
            paths: ['/products/:id'],
            new: next.url,
            rateLimit: { perClient: { points: 6, durationMs: 30_000 } },
          },
          {
            id: 'orders',
            methods: ['GET'],
            paths: ['/orders/:id'],
            new: next.url,
            rateLimit: { perRoute: { points: 10, durationMs: 30_000 } },
          },
        ],
      }),
      flags: legacyFlags,
      env: { PROXY_WORKERS: '2' },
    });
    // pipelining 0: no keep-alive, every request is a connection of its own, and the primary
    // hands connections to the two workers in turn, so every burst lands on both
    clients = Array.from({ length: 4 }, () => new Client(rig.proxy.url, { pipelining: 0 }));
  });
  afterAll(async () => {
    await Promise.allSettled(clients?.map((c) => c.close()) ?? []);
    await rig?.stop();
  });

  async function burst(
    path: (i: number) => string,
    user: (i: number) => string,
    n: number,
  ): Promise<number[]> {
    return Promise.all(
      Array.from({ length: n }, async (_, i) => {
        const res = await clients[i % clients.length]!.request({
          method: 'GET',
          path: path(i),
          headers: { 'x-user-id': user(i) },
        });
        await res.body.text();
        if (res.statusCode === 429) expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
        return res.statusCode;
      }),
    );
  }

  it('a per-client limit of N is N across the workers, not N per worker', async () => {
    const statuses = await burst(
      () => '/products/1',
      () => 'u-workers',
      24,
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(6);
    expect(statuses.filter((s) => s === 429)).toHaveLength(18);
    expect(await upstreamSaw(rig, '/products/1', 'u-workers')).toBe(6);
    // the primary sums its workers' counters
    expect(
      await metric(rig, 'strangler_proxy_rate_limited_total', 'route="products",reason="per-client"'),
    ).toBe(18);
    expect(await metric(rig, 'strangler_proxy_rate_limit_unchecked_total', 'route="products"')).toBe(0);
    // another client, on the same connections, still has its own six
    const other = await burst(
      () => '/products/1',
      () => 'u-workers-2',
      8,
    );
    expect(other.filter((s) => s === 200)).toHaveLength(6);
  });

  it('a per-route limit of N is N across the workers', async () => {
    const statuses = await burst(
      (i) => `/orders/${i}`,
      (i) => `user-${i}`,
      16,
    );
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
    expect(await metric(rig, 'strangler_proxy_rate_limited_total', 'route="orders",reason="per-route"')).toBe(
      6,
    );
  });

  it('a primary that does not answer lets checked requests through after 1 s, counted as unchecked', async () => {
    // keep-alive connections, opened first: a stopped primary hands out no new connections,
    // but the workers keep serving the ones they have
    const kept = [new Client(rig.proxy.url), new Client(rig.proxy.url)];
    const ask = async (client: Client) => {
      const res = await client.request({
        method: 'GET',
        path: '/products/2',
        headers: { 'x-user-id': 'u-stalled' },
      });
      await res.body.text();
      return res.statusCode;
    };
    try {
      expect(await Promise.all(kept.map(ask))).toEqual([200, 200]);
      const primary = rig.proxy.proc.child.pid!;
      process.kill(primary, 'SIGSTOP');
      // whatever happens below, the primary runs again
      const resume = setTimeout(() => process.kill(primary, 'SIGCONT'), 15_000);
      let statuses: number[];
      const started = Date.now();
      try {
        statuses = (
          await Promise.all(kept.map(async (c) => [await ask(c), await ask(c), await ask(c)]))
        ).flat();
      } finally {
        clearTimeout(resume);
        process.kill(primary, 'SIGCONT');
      }
      const waited = Date.now() - started;
      // 2 + 6 is over u-stalled's limit of 6, yet nothing could say so: all through, none refused
      expect(statuses).toEqual([200, 200, 200, 200, 200, 200]);
      expect(waited).toBeGreaterThanOrEqual(3 * 900); // three checks in turn on each connection
      expect(await metric(rig, 'strangler_proxy_rate_limit_unchecked_total', 'route="products"')).toBe(6);
    } finally {
      await Promise.allSettled(kept.map((c) => c.close()));
    }
  });
});
