import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startComponent } from '../../lib/component-process.ts';
import { freePort, waitFor } from '../../lib/net.ts';
import type { RouteTableInput } from '../../strangler-proxy/routes/route-schema.ts';
import {
  startProxy,
  startUpstreams,
  type TestProxy,
  type TestUpstream,
} from '../../strangler-proxy/testing/harness.ts';

/**
 * The proxy's write side and hold, with two workers: held writes wait and none fails, reads go
 * on meanwhile, a hold that is not released ends at its bound with the writes on the side they
 * were on, writes in flight are counted, and the side a route's writes are on survives a
 * restart of the proxy (the same data folder).
 */
let legacy: TestUpstream;
let next: TestUpstream;
let proxy: TestProxy | undefined;
let dataDir: string;

const routes = (): RouteTableInput => ({
  legacy: legacy.url,
  routes: [
    {
      id: 'products',
      methods: ['GET', 'HEAD'],
      paths: ['/products', '/products/:id'],
      new: next.url,
      writes: { methods: ['POST', 'PATCH'], paths: ['/products', '/products/:id'] },
      owns: ['products'],
    },
    { id: 'orders', methods: ['GET'], paths: ['/orders/:id'], new: next.url },
  ],
});

async function start(env: Record<string, string> = {}): Promise<TestProxy> {
  return startProxy({
    routes: routes(),
    flags: { 'strangler.products': { mode: 'new', percent: 100 } },
    env: { PROXY_WORKERS: '2', STRANGLER_DATA_DIR: dataDir, ...env },
  });
}

interface Answer {
  status: number;
  target: string | null;
  upstream: string | undefined;
  at: number;
}

/** A write through the proxy; resolves when it is answered (or rejects when the connection fails). */
async function write(method: 'POST' | 'PATCH', p: string, body: object): Promise<Answer> {
  const res = await fetch(proxy!.url + p, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    target: res.headers.get('x-strangler-target'),
    upstream: res.status === 200 ? (JSON.parse(text) as { upstream: string }).upstream : undefined,
    at: Date.now(),
  };
}

async function admin<T>(p: string, body?: object): Promise<{ status: number; body: T }> {
  const res = await proxy!.admin(p, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as T };
}

interface RouteWrites {
  side: string;
  hold: { id: string; overflow: boolean } | null;
  inFlight: { legacy: number; new: number };
  held: number;
  processes: number;
}

beforeAll(async () => {
  ({ legacy, next } = await startUpstreams());
  dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'write-hold-'));
  proxy = await start();
}, 120_000);

afterAll(async () => {
  await Promise.allSettled([proxy?.stop(), legacy?.stop(), next?.stop()]);
  await fs.rm(dataDir, { recursive: true, force: true });
});

describe('write side and hold in the proxy', () => {
  it("sends a listed write to legacy while the route's writes are on legacy, reads to new", async () => {
    const w = await write('POST', '/products', { name: 'a' });
    expect(w).toMatchObject({ status: 200, target: 'legacy', upstream: 'legacy' });
    const r = await fetch(`${proxy!.url}/products/1`);
    await r.text();
    expect(r.headers.get('x-strangler-target')).toBe('new');
    const { body } = await admin<{ routes: Record<string, RouteWrites> }>('/writes');
    expect(body.routes.products).toMatchObject({ side: 'legacy', hold: null, processes: 2 });
    expect(body.routes.orders).toBeUndefined();
  });

  it('holds writes until released, reads flowing meanwhile; released to new, none fails', async () => {
    const { body: h } = await admin<{ hold: string }>('/writes/products/hold', { boundMs: 20_000 });
    const writes = Array.from({ length: 8 }, (_, i) =>
      write(i % 2 ? 'PATCH' : 'POST', i % 2 ? `/products/${i}` : '/products', { i }),
    );
    await waitFor(
      'the 8 writes held',
      async () => {
        const { body } = await admin<RouteWrites>('/writes/products');
        if (body.held !== 8) throw new Error(`held ${body.held}`);
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    // reads of the same route are not held
    const read = await fetch(`${proxy!.url}/products/3`);
    await read.text();
    expect(read.status).toBe(200);
    const flip = await admin<{ side: string }>('/writes/products/side', { hold: h.hold, side: 'new' });
    expect(flip).toMatchObject({ status: 200, body: { side: 'new' } });
    // still held after the flip: the side is where they go once let go
    expect((await admin<RouteWrites>('/writes/products')).body).toMatchObject({ side: 'new', held: 8 });
    const releasing = Date.now();
    const released = await admin<{ writesHeld: number; end: string; side: string; holdMs: number }>(
      '/writes/products/release',
      { hold: h.hold, attempt: { note: 'test' } },
    );
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ writesHeld: 8, end: 'released', side: 'new' });
    const answers = await Promise.all(writes);
    for (const a of answers) expect(a).toMatchObject({ status: 200, target: 'new', upstream: 'new' });
    // none was answered before the release
    expect(Math.min(...answers.map((a) => a.at))).toBeGreaterThanOrEqual(releasing);
    const log = await fs.readFile(path.join(dataDir, 'write-switch.log'), 'utf8');
    expect(log.trim().split('\n').at(-1)).toContain('"note":"test"');
  });

  it('lets held writes go by itself at the bound, to the side they were on; the late release is refused', async () => {
    // measured from before the hold exists: no answer can come sooner than its bound after this
    const started = Date.now();
    const { body: h } = await admin<{ hold: string }>('/writes/products/hold', { boundMs: 3000 });
    const answers = await Promise.all(Array.from({ length: 4 }, (_, i) => write('POST', '/products', { i })));
    for (const a of answers) {
      expect(a).toMatchObject({ status: 200, target: 'new' });
      expect(a.at - started).toBeGreaterThanOrEqual(2950);
    }
    const late = await admin<{ error: { code: string } }>('/writes/products/release', { hold: h.hold });
    expect(late).toMatchObject({ status: 409, body: { error: { code: 'PROXY_ERR_HOLD_GONE' } } });
    const { body } = await admin<{ recent: { hold: string; end: string; writesHeld: number }[] }>('/writes');
    expect(body.recent.find((r) => r.hold === h.hold)).toMatchObject({ end: 'bound', writesHeld: 4 });
  });

  it('counts writes in flight per side', async () => {
    const slow = fetch(`${proxy!.url}/products/9`, {
      method: 'PATCH',
      headers: { 'x-test-delay-ms': '3000' },
      body: '{}',
    }).then((r) => r.text());
    await waitFor(
      'one write in flight on new',
      async () => {
        const { body } = await admin<RouteWrites>('/writes/products');
        if (body.inFlight.new !== 1) throw new Error(JSON.stringify(body.inFlight));
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );
    await slow;
    const { body } = await admin<RouteWrites>('/writes/products');
    expect(body.inFlight).toEqual({ legacy: 0, new: 0 });
  });

  it('refuses bad holds with typed errors', async () => {
    const cases: [string, object, number, string][] = [
      ['/writes/products/hold', { boundMs: 0 }, 400, 'PROXY_ERR_BAD_HOLD'],
      ['/writes/products/hold', { boundMs: 10_000_000 }, 400, 'PROXY_ERR_BAD_HOLD'],
      ['/writes/orders/hold', { boundMs: 1000 }, 400, 'PROXY_ERR_NO_WRITES'],
      ['/writes/nope/hold', { boundMs: 1000 }, 404, 'PROXY_ERR_UNKNOWN_ROUTE'],
      ['/writes/products/release', {}, 400, 'PROXY_ERR_BAD_HOLD'],
      ['/writes/products/side', { hold: 'x', side: 'sideways' }, 400, 'PROXY_ERR_BAD_HOLD'],
      ['/writes/products/side', { hold: 'x', side: 'legacy' }, 409, 'PROXY_ERR_HOLD_GONE'],
    ];
    for (const [p, body, status, code] of cases) {
      const res = await admin<{ error: { code: string; message: string } }>(p, body);
      expect({ p, status: res.status, code: res.body.error?.code }).toEqual({ p, status, code });
    }
    const { body: h } = await admin<{ hold: string }>('/writes/products/hold', { boundMs: 5000 });
    const again = await admin<{ error: { code: string } }>('/writes/products/hold', { boundMs: 5000 });
    expect(again).toMatchObject({ status: 409, body: { error: { code: 'PROXY_ERR_WRITES_HELD' } } });
    expect((await admin('/writes/products/release', { hold: h.hold })).status).toBe(200);
    const unauth = await fetch(`${proxy!.adminUrl}/writes`);
    expect(unauth.status).toBe(401);
  });

  it('keeps the write side across a restart of the proxy', async () => {
    expect((await admin<RouteWrites>('/writes/products')).body.side).toBe('new');
    await proxy!.stop();
    proxy = await start();
    expect((await admin<RouteWrites>('/writes/products')).body).toMatchObject({ side: 'new', hold: null });
    for (let i = 0; i < 4; i++)
      expect(await write('POST', '/products', { i })).toMatchObject({ status: 200, target: 'new' });
  }, 120_000);

  it('tells the switch when more writes wait than the count bound', async () => {
    await proxy!.stop();
    proxy = await start({ PROXY_WRITE_HOLD_MAX_REQUESTS: '2' });
    const { body: h } = await admin<{ hold: string }>('/writes/products/hold', { boundMs: 20_000 });
    const writes = Array.from({ length: 8 }, (_, i) => write('POST', '/products', { i }));
    await waitFor(
      'the hold marked over its count bound',
      async () => {
        const { body } = await admin<RouteWrites>('/writes/products');
        if (!body.hold?.overflow) throw new Error(`held ${body.held}`);
      },
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    await admin('/writes/products/release', { hold: h.hold });
    for (const a of await Promise.all(writes)) expect(a).toMatchObject({ status: 200, target: 'new' });
  }, 120_000);

  it('does not start on a write-sides file that does not validate: exit 2 naming it', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'write-sides-bad-'));
    const routesFile = path.join(dir, 'routes.json');
    await fs.writeFile(routesFile, JSON.stringify(routes()));
    await fs.writeFile(
      path.join(dir, 'write-sides.json'),
      JSON.stringify({ version: 1, routes: { products: 'both' } }),
    );
    const proc = await startComponent({
      name: 'proxy',
      script: 'strangler-proxy/main.ts',
      env: {
        PROXY_PORT: String(await freePort()),
        PROXY_ADMIN_PORT: String(await freePort()),
        PROXY_ROUTES_FILE: routesFile,
        STRANGLER_DATA_DIR: dir,
        PROXY_ADMIN_TOKEN: 'test-admin-token-0123456789',
        LOG_LEVEL: 'warn',
      },
    });
    expect(await proc.exited).toBe(2);
    expect(proc.output()).toContain('write-sides.json is not a write-sides file');
    expect(proc.output()).toContain('routes.products');
    await fs.rm(dir, { recursive: true, force: true });
  }, 60_000);
});
