import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startComponent } from '../../lib/component-process.ts';
import { freePort } from '../../lib/net.ts';
import type { RouteTableInput } from '../../strangler-proxy/routes/route-schema.ts';
import { startProxy, type TestProxy } from '../../strangler-proxy/testing/harness.ts';

/** The proxy process loads routes with writes and owned tables, and refuses ones that clash. */
const routes: RouteTableInput = {
  legacy: 'http://127.0.0.1:3000',
  routes: [
    {
      id: 'products',
      methods: ['GET', 'HEAD'],
      paths: ['/products', '/products/:id'],
      new: 'http://127.0.0.1:3101',
      writes: { methods: ['POST', 'PATCH'], paths: ['/products', '/products/:id'] },
      owns: ['products'],
    },
    { id: 'orders', methods: ['GET'], paths: ['/orders/:id'], new: 'http://127.0.0.1:3102' },
  ],
};

let proxy: TestProxy | undefined;
afterAll(() => proxy?.stop());

describe('route writes in the proxy process', () => {
  it('starts with a route that owns tables and shows it on GET /routes', async () => {
    proxy = await startProxy({ routes });
    const res = await proxy.admin('/routes');
    const body = (await res.json()) as {
      table: { routes: { id: string; writes?: unknown; owns?: string[] }[] };
    };
    expect(body.table.routes.find((r) => r.id === 'products')).toMatchObject({
      writes: routes.routes[0]!.writes,
      owns: ['products'],
    });
  });

  it('refuses, on the admin API, a second owner of a table', async () => {
    const res = await proxy!.admin('/routes/orders', {
      method: 'PUT',
      body: JSON.stringify({
        methods: ['GET'],
        paths: ['/orders/:id'],
        new: 'http://127.0.0.1:3102',
        writes: { methods: ['POST'], paths: ['/orders'] },
        owns: ['orders', 'products'],
      }),
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('PROXY_ERR_ROUTE_WRITES_INVALID');
    expect(error.message).toContain('table "products" is already owned by route "products"');
  });

  it('does not start on a route file whose writes clash: exit 2 naming the problem', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'proxy-writes-'));
    const file = path.join(dir, 'routes.json');
    const bad = structuredClone(routes);
    (bad.routes[1] as Record<string, unknown>).owns = ['products'];
    await fs.writeFile(file, JSON.stringify(bad));
    const proc = await startComponent({
      name: 'proxy',
      script: 'strangler-proxy/main.ts',
      env: {
        PROXY_PORT: String(await freePort()),
        PROXY_ADMIN_PORT: String(await freePort()),
        PROXY_ROUTES_FILE: file,
        STRANGLER_DATA_DIR: dir,
        PROXY_ADMIN_TOKEN: 'test-admin-token-0123456789',
        LOG_LEVEL: 'warn',
      },
    });
    expect(await proc.exited).toBe(2);
    const out = proc.output();
    expect(out).toContain("the routes' writes do not hold together");
    expect(out).toContain('routes[1] (orders): owns products without writes');
    expect(out).toContain('routes[1] (orders).owns: table "products" is already owned by route "products"');
    await fs.rm(dir, { recursive: true, force: true });
  }, 60_000);
});
