import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { freePort, waitFor } from '../../lib/net.ts';
import { shiftRoute } from '../../strangler-proxy/cli/shift.ts';
import { startProxy, type TestProxy } from '../../strangler-proxy/testing/harness.ts';

/**
 * Aggregation routes against real upstream processes: a legacy shop, an orders service and a
 * catalog (strangler-proxy/testing/json-upstream.ts, each answering fixed JSON that says who
 * answered). `user-page` = the user from legacy ("error" policy) + their orders from the route
 * `orders` + the products of those orders from the route `products` (one GET per product id
 * found in the orders: the declared dependency), each part with an 800 ms budget.
 */
interface JsonUpstream {
  url: string;
  proc: ComponentProcess;
  requests(): Promise<string[]>;
}

const order = (id: number, productIds: number[]) => ({
  id,
  items: productIds.map((productId) => ({ productId, quantity: 1 })),
});
const product = (id: number, source: string) => ({ id, name: `product ${id}`, source });

const fixtures = {
  legacy: {
    '/users/7': { id: 7, name: 'Ada', source: 'legacy' },
    '/users/8': { id: 8, name: 'Bo', source: 'legacy' },
    '/users/7/orders': { items: [order(1, [2, 3]), order(2, [2])], source: 'legacy' },
    '/users/8/orders': { items: [], source: 'legacy' },
    '/products/2': product(2, 'legacy'),
    '/products/3': product(3, 'legacy'),
  },
  orders: {
    '/users/7/orders': { items: [order(1, [2, 3]), order(2, [2])], source: 'orders' },
    '/users/8/orders': { items: [], source: 'orders' },
  },
  catalog: {
    '/products/2': product(2, 'catalog'),
    '/products/3': product(3, 'catalog'),
  },
};

const partTimeoutMs = 800;
let dir: string;
let legacy: JsonUpstream;
let orders: JsonUpstream;
let catalog: JsonUpstream;
let proxy: TestProxy;

async function startJsonUpstream(name: keyof typeof fixtures): Promise<JsonUpstream> {
  const file = path.join(dir, `${name}.json`);
  await fs.writeFile(file, JSON.stringify(fixtures[name]));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc = await startComponent({
    name,
    script: 'strangler-proxy/testing/json-upstream.ts',
    args: [String(port), name, file],
    readyLine: 'ready on',
  });
  return { url, proc, requests: async () => (await (await fetch(`${url}/__requests`)).json()) as string[] };
}

function routes() {
  return {
    legacy: legacy.url,
    routes: [
      { id: 'products', methods: ['GET'], paths: ['/products/:id'], new: catalog.url },
      { id: 'orders', methods: ['GET'], paths: ['/users/:id/orders'], new: orders.url },
      {
        id: 'user-page',
        methods: ['GET'],
        paths: ['/users/:id/page'],
        aggregate: {
          parts: [
            { name: 'user', path: '/users/:id', timeoutMs: partTimeoutMs, onFailure: 'error' },
            {
              name: 'orders',
              path: '/users/:id/orders',
              route: 'orders',
              timeoutMs: partTimeoutMs,
              onFailure: 'partial',
            },
            {
              name: 'products',
              path: '/products/:productId',
              route: 'products',
              each: { from: 'orders', select: '$.items[*].items[*].productId', as: 'productId' },
              timeoutMs: partTimeoutMs,
              onFailure: 'partial',
            },
          ],
        },
      },
      {
        id: 'user-summary',
        methods: ['GET'],
        paths: ['/users/:id/summary'],
        aggregate: {
          parts: [
            { name: 'user', path: '/users/:id', timeoutMs: partTimeoutMs, onFailure: 'partial' },
            {
              name: 'orders',
              path: '/users/:id/orders',
              route: 'orders',
              timeoutMs: partTimeoutMs,
              onFailure: 'partial',
            },
          ],
        },
      },
    ],
  } as const;
}

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'aggregate-test-'));
  [legacy, orders, catalog] = await Promise.all([
    startJsonUpstream('legacy'),
    startJsonUpstream('orders'),
    startJsonUpstream('catalog'),
  ]);
  proxy = await startProxy({
    routes: routes() as never,
    flags: {
      'strangler.orders': { mode: 'new', percent: 100 },
      'strangler.products': { mode: 'legacy', percent: 0 },
    },
  });
});

afterAll(async () => {
  for (const u of [legacy, orders, catalog]) u?.proc.child.kill('SIGCONT');
  await Promise.allSettled([proxy?.stop(), ...[legacy, orders, catalog].map((u) => u?.proc.stop())]);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

async function get(target: string, headers: Record<string, string> = {}) {
  const started = performance.now();
  const res = await fetch(proxy.url + target, { headers });
  const text = await res.text();
  return {
    status: res.status,
    ms: performance.now() - started,
    parts: res.headers.get('x-strangler-parts'),
    partial: res.headers.get('x-strangler-partial'),
    target: res.headers.get('x-strangler-target'),
    json: JSON.parse(text) as Record<string, unknown>,
  };
}

/** The side named for a part in x-strangler-parts ("user=legacy, orders=new, …"). */
function sideOf(parts: string | null, part: string): string | undefined {
  return parts
    ?.split(', ')
    .find((p) => p.startsWith(`${part}=`))
    ?.slice(part.length + 1);
}

async function metrics(): Promise<string> {
  return (await proxy.admin('/metrics')).text();
}

function partCount(text: string, part: string, target: string, outcome: string, route = 'user-page'): number {
  const line = text
    .split('\n')
    .find((l) =>
      l.startsWith(
        `strangler_proxy_aggregate_parts_total{route="${route}",part="${part}",target="${target}",outcome="${outcome}"}`,
      ),
    );
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('aggregation route', () => {
  it('merges the user, their orders and the products of those orders, each from the side its flag names', async () => {
    const before = await legacy.requests();
    const r = await get('/users/7/page');
    expect(r.status).toBe(200);
    expect(r.target).toBe('aggregate');
    expect(r.json).toEqual({
      user: fixtures.legacy['/users/7'],
      orders: fixtures.orders['/users/7/orders'],
      products: [product(2, 'legacy'), product(3, 'legacy')],
    });
    expect(r.parts).toBe('user=legacy, orders=new, products=legacy');
    expect(r.partial).toBeNull();
    // product 2 is in two orders: asked once
    const asked = (await legacy.requests()).slice(before.length);
    expect(asked.sort()).toEqual(['/products/2', '/products/3', '/users/7']);
    const m = await metrics();
    expect(partCount(m, 'orders', 'new', 'ok')).toBeGreaterThanOrEqual(1);
    expect(partCount(m, 'products', 'legacy', 'ok')).toBeGreaterThanOrEqual(1);
  });

  it('a dependency with nothing to select gives an empty part, with no call', async () => {
    const r = await get('/users/8/page');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({
      user: fixtures.legacy['/users/8'],
      orders: fixtures.orders['/users/8/orders'],
      products: [],
    });
  });

  it('a required part answered 404: the client gets the upstream’s own error', async () => {
    const r = await get('/users/404/page');
    expect(r.status).toBe(404);
    expect(r.json).toMatchObject({ error: { code: 'SHOP_ERR_NOT_FOUND' } });
  });

  it('a part whose flag says new goes to new; a canary part takes the plain route’s sticky bucket', async () => {
    await proxy.setFlag('strangler.products', { mode: 'new', percent: 100 });
    await waitFor('products part on new', async () => {
      const r = await get('/users/7/page');
      if (sideOf(r.parts, 'products') !== 'new') throw new Error(r.parts ?? 'no parts header');
    });
    const before = await catalog.requests();
    const r = await get('/users/7/page');
    expect(r.json.products).toEqual([product(2, 'catalog'), product(3, 'catalog')]);
    expect((await catalog.requests()).slice(before.length).sort()).toEqual(['/products/2', '/products/3']);

    await proxy.setFlag('strangler.products', { mode: 'canary', percent: 50 });
    const users = Array.from({ length: 40 }, (_, i) => `user-${i}`);
    const plainSide = async (user: string) =>
      (await get('/products/2', { 'x-user-id': user })).target ?? 'none';
    await waitFor('canary in effect', async () => {
      const sides = new Set(await Promise.all(users.map(plainSide)));
      if (sides.size !== 2) throw new Error(`sides ${[...sides]}`);
    });
    for (const user of users) {
      const plain = await plainSide(user);
      const page = await get('/users/7/page', { 'x-user-id': user });
      expect(sideOf(page.parts, 'products'), user).toBe(plain);
      expect((page.json.products as { source: string }[])[0]!.source).toBe(
        plain === 'new' ? 'catalog' : 'legacy',
      );
    }
    await proxy.setFlag('strangler.products', { mode: 'new', percent: 100 });
    await waitFor('products part on new', async () => {
      const r = await get('/users/7/page', { 'x-user-id': 'user-0' });
      if (sideOf(r.parts, 'products') !== 'new') throw new Error(r.parts ?? 'no parts header');
    });
  });

  it('a hung orders service: the partial answer comes at the part’s timeout, naming what is missing', async () => {
    const m0 = await metrics();
    orders.proc.child.kill('SIGSTOP');
    try {
      const r = await get('/users/7/page');
      expect(r.status).toBe(200);
      expect(r.json).toEqual({
        user: fixtures.legacy['/users/7'],
        missing: [
          { part: 'orders', reason: 'timeout' },
          { part: 'products', reason: 'dependency-missing' },
        ],
      });
      expect(r.partial).toBe('orders, products');
      // the budget is the part's: not much sooner, not much later (a shared machine: generous above)
      expect(r.ms).toBeGreaterThanOrEqual(partTimeoutMs - 20);
      expect(r.ms).toBeLessThan(partTimeoutMs + 700);
      const m = await metrics();
      expect(partCount(m, 'orders', 'new', 'timeout')).toBe(partCount(m0, 'orders', 'new', 'timeout') + 1);
      expect(partCount(m, 'products', 'none', 'dependency-missing')).toBe(
        partCount(m0, 'products', 'none', 'dependency-missing') + 1,
      );
      // a client that gives up (resets its connection) while a part hangs ends the parts in
      // flight; counted as 499 (a half-close would still be answered, as HTTP/1.1 allows)
      const socket = net.connect(proxy.port, '127.0.0.1');
      socket.on('error', () => {});
      await new Promise((resolve) => socket.once('connect', resolve));
      socket.write('GET /users/7/page HTTP/1.1\r\nhost: x\r\n\r\n');
      await new Promise((r) => setTimeout(r, 150));
      socket.resetAndDestroy();
      await waitFor('the hang-up counted', async () => {
        expect(await metrics()).toMatch(
          /strangler_proxy_requests_total\{route="user-page",target="aggregate",status="499"\} 1/,
        );
      });
    } finally {
      orders.proc.child.kill('SIGCONT');
    }
  });

  it('a SIGKILLed catalog: the products part falls back to legacy at once, the answer is whole', async () => {
    catalog.proc.child.kill('SIGKILL');
    await catalog.proc.exited;
    const r = await get('/users/7/page');
    expect(r.status).toBe(200);
    expect(r.json.products).toEqual([product(2, 'legacy'), product(3, 'legacy')]);
    expect(r.parts).toBe('user=legacy, orders=new, products=legacy');
    expect(r.ms).toBeLessThan(partTimeoutMs);
    const stats = (await (await proxy.admin('/stats')).json()) as {
      fallbacks: { route: string; reason: string; count: number }[];
    };
    expect(stats.fallbacks.some((f) => f.route === 'user-page' && f.count > 0)).toBe(true);
  });

  it('a SIGKILLed legacy: the "error" part fails the route with its code, the "partial" one is marked missing', async () => {
    legacy.proc.child.kill('SIGKILL');
    await legacy.proc.exited;
    const r = await get('/users/7/page');
    expect(r.status).toBe(502);
    expect(r.json).toMatchObject({ error: { code: 'PROXY_ERR_AGGREGATE_PART_FAILED' } });
    expect((r.json.error as { message: string }).message).toMatch(
      /part "user" of aggregation route "user-page" failed: (refused|reset)/,
    );
    expect(r.ms).toBeLessThan(partTimeoutMs);

    const s = await get('/users/7/summary');
    expect(s.status).toBe(200);
    expect(s.json.orders).toEqual(fixtures.orders['/users/7/orders']);
    expect(s.json.user).toBeUndefined();
    expect(s.json.missing).toEqual([{ part: 'user', reason: expect.stringMatching(/^(refused|reset)$/) }]);
    expect(s.partial).toBe('user');
    expect(s.ms).toBeLessThan(partTimeoutMs);
    const m = await metrics();
    expect(
      partCount(m, 'user', 'legacy', 'refused', 'user-summary') +
        partCount(m, 'user', 'legacy', 'reset', 'user-summary'),
    ).toBeGreaterThanOrEqual(1);
    expect(m).toMatch(
      /strangler_proxy_requests_total\{route="user-page",target="aggregate",status="502"\} 1/,
    );
  });

  it('an aggregation route cannot be shifted: its parts follow their own routes', async () => {
    const res = await proxy.admin('/flags/user-page', {
      method: 'POST',
      body: JSON.stringify({ to: 'new' }),
    });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error).toMatchObject({ code: 'PROXY_ERR_BAD_SHIFT' });
    expect(err.error.message).toContain('shift the routes its parts name (orders, products)');
    const cli = shiftRoute('user-page', 'new', { routesFile: proxy.routesFile, dataDir: proxy.dir });
    await expect(cli).rejects.toMatchObject({
      code: 'PROXY_ERR_BAD_SHIFT',
      message: expect.stringContaining('shift the routes its parts name (orders, products)'),
    });
    // nor listed with a flag (strangler status shows the routes that move)
    const flags = (await (await proxy.admin('/flags')).json()) as { flags: { route: string }[] };
    expect(flags.flags.map((f) => f.route)).toEqual(['products', 'orders']);
  });

  it('a table whose aggregation part names a route that is not there is refused, naming the field', async () => {
    const res = await proxy.admin('/routes/products', { method: 'DELETE' });
    expect(res.status).toBe(400);
    const err = (await res.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('PROXY_ERR_ROUTE_FILE_INVALID');
    expect(err.error.message).toContain(
      'routes[1].aggregate.parts[2].route: no route "products" in the table',
    );
  });
});

describe('aggregation route config at start', () => {
  it('a proxy started with a bad aggregation route exits 2 naming the field', async () => {
    const routesFile = path.join(dir, 'bad-routes.json');
    const table = routes();
    const page = table.routes[2];
    const bad = {
      ...table,
      routes: [
        table.routes[0],
        table.routes[1],
        { ...page, aggregate: { parts: [{ ...page.aggregate.parts[0], path: '/users/:userId' }] } },
      ],
    };
    await fs.writeFile(routesFile, JSON.stringify(bad));
    const start = startComponent({
      name: 'bad-proxy',
      script: 'strangler-proxy/main.ts',
      env: {
        PROXY_PORT: String(await freePort()),
        PROXY_ADMIN_PORT: String(await freePort()),
        PROXY_ROUTES_FILE: routesFile,
        STRANGLER_DATA_DIR: path.join(dir, 'bad-proxy'),
        UNLEASH_URL: undefined,
        LOG_LEVEL: 'warn',
      },
      readyLine: 'strangler-proxy ready',
      // the point is the exit and its message, not how fast a loaded machine starts node
      readyTimeoutMs: 100_000,
    });
    await expect(start).rejects.toThrow(
      /exited with code 2[\s\S]*routes\[2\]\.aggregate\.parts\[0\]\.path: ":userId" has no value: not a parameter of "\/users\/:id\/page"/,
    );
  }, 120_000);
});
