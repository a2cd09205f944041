import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { shiftRoute } from '../../strangler-proxy/cli/shift.ts';
import { stateOf, type UnleashFeature } from '../../strangler-proxy/flags/flag-mapping.ts';
import {
  startProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from '../../strangler-proxy/testing/harness.ts';

/** Admin auth (generated token file), route table hot reload and edits, flags through the CLI. */
let legacy: TestUpstream;
let next: TestUpstream;
let proxy: TestProxy;

const table = () => ({
  legacy: legacy.url,
  routes: [{ id: 'products', methods: ['GET'], paths: ['/products/:id'], new: next.url }],
});

beforeAll(async () => {
  [legacy, next] = await Promise.all([startUpstream('legacy'), startUpstream('new')]);
  proxy = await startProxy({ routes: table() as never, token: null }); // no PROXY_ADMIN_TOKEN: generated
});
afterAll(async () => {
  await Promise.allSettled([proxy?.stop(), legacy?.stop(), next?.stop()]);
});

const get = (p: string, authorization?: string) =>
  fetch(proxy.adminUrl + p, { headers: authorization ? { authorization } : {} });

async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 3000,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('admin auth', () => {
  it('generated the token on first start into a 0600 file under the data root', async () => {
    const stat = await fs.stat(path.join(proxy.dir, 'proxy-admin.token'));
    expect(stat.mode & 0o777).toBe(0o600);
    expect(proxy.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses no token and a wrong token with 401, accepts the right one', async () => {
    for (const p of ['/routes', '/stats', '/flags', '/metrics', '/decision?path=/products/1']) {
      expect((await get(p)).status, p).toBe(401);
      expect((await get(p, 'Bearer wrong-token')).status, p).toBe(401);
      expect((await get(p, `Bearer ${proxy.token}x`)).status, p).toBe(401);
      expect((await get(p, proxy.token)).status, p).toBe(401); // bare token only on the Unleash client API
      expect((await get(p, `Bearer ${proxy.token}`)).status, p).toBe(200);
    }
    expect((await get('/api/client/features')).status).toBe(401);
    expect((await get('/api/client/features', proxy.token)).status).toBe(200);
    expect((await get('/health')).status).toBe(200);
  });

  it('serves Prometheus text on /metrics', async () => {
    await fetch(`${proxy.url}/products/1`).then((r) => r.text());
    const res = await get('/metrics', `Bearer ${proxy.token}`);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const text = await res.text();
    expect(text).toMatch(
      /strangler_proxy_requests_total\{route="products",target="legacy",status="200"\} [1-9]/,
    );
    expect(text).toContain('# TYPE strangler_proxy_request_duration_seconds histogram');
    expect(text).toMatch(
      /strangler_proxy_request_duration_seconds_bucket\{route="products",target="legacy",le="\+Inf"\} [1-9]/,
    );
  });
});

describe('route table hot reload and edits', () => {
  it('picks up a valid change to the file', async () => {
    const changed = table();
    changed.routes[0]!.paths.push('/catalog/:id');
    await fs.writeFile(proxy.routesFile, JSON.stringify(changed));
    await eventually('the new pattern', async () => {
      const r = (await (await proxy.admin('/decision?path=/catalog/3')).json()) as { route: string | null };
      return r.route === 'products' ? true : undefined;
    });
  });

  it('rejects an invalid file naming the field, and keeps the running table', async () => {
    const bad = table() as { routes: Record<string, unknown>[] };
    bad.routes[0]!.new = 'ftp://nope';
    bad.routes[0]!.methods = ['FETCH'];
    await fs.writeFile(proxy.routesFile, JSON.stringify(bad));
    const body = await eventually('the reload error', async () => {
      const r = (await (await proxy.admin('/routes')).json()) as {
        lastReloadError: string | null;
        table: { routes: { paths: string[] }[] };
      };
      return r.lastReloadError ? r : undefined;
    });
    expect(body.lastReloadError).toContain('routes[0].new');
    expect(body.lastReloadError).toContain('routes[0].methods[0]');
    expect(body.table.routes[0]!.paths).toContain('/catalog/:id'); // still the last good table
    await fs.writeFile(proxy.routesFile, '{ not json');
    await eventually('the JSON error', async () => {
      const r = (await (await proxy.admin('/routes')).json()) as { lastReloadError: string | null };
      return r.lastReloadError?.includes('cannot read route table') ? true : undefined;
    });
    const res = await fetch(`${proxy.url}/catalog/3`);
    expect(res.headers.get('x-strangler-target')).toBe('legacy');
  });

  it('edits through the admin API: invalid → 400 naming the field, valid → applied and written', async () => {
    const bad = await proxy.admin('/routes/orders', {
      method: 'PUT',
      body: JSON.stringify({ methods: ['GET'], paths: ['no-slash'] }),
    });
    expect(bad.status).toBe(400);
    const err = (await bad.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('PROXY_ERR_ROUTE_FILE_INVALID');
    expect(err.error.message).toContain('routes[1].paths[0]');
    expect(err.error.message).toContain('routes[1].new');
    const good = await proxy.admin('/routes/orders', {
      method: 'PUT',
      body: JSON.stringify({ methods: ['GET'], paths: ['/orders/:id'], new: next.url }),
    });
    expect(good.status).toBe(200);
    const onDisk = JSON.parse(await fs.readFile(proxy.routesFile, 'utf8')) as { routes: { id: string }[] };
    expect(onDisk.routes.map((r) => r.id)).toEqual(['products', 'orders']);
    const d = (await (await proxy.admin('/decision?path=/orders/9')).json()) as { route: string };
    expect(d.route).toBe('orders');
  });
});

describe('flags', () => {
  it('strangler shift (CLI module) changes the flag the proxy polls; the proxy follows within 2 s', async () => {
    const env = { routesFile: proxy.routesFile, dataDir: proxy.dir };
    const r = await shiftRoute('orders', '40', env);
    expect(r).toMatchObject({
      flag: 'strangler.orders',
      before: { mode: 'legacy' },
      after: { mode: 'canary', percent: 40 },
      store: 'local-file',
    });
    const doc = JSON.parse(await fs.readFile(proxy.flagsFile, 'utf8')) as { features: UnleashFeature[] };
    expect(stateOf(doc.features.find((f) => f.name === 'strangler.orders'))).toEqual({
      mode: 'canary',
      percent: 40,
    });
    const started = Date.now();
    await shiftRoute('orders', 'new', env);
    await eventually('new serving orders', async () => {
      const res = await fetch(`${proxy.url}/orders/1`);
      await res.text();
      return res.headers.get('x-strangler-target') === 'new' ? true : undefined;
    });
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(shiftRoute('orders', '140', env)).rejects.toMatchObject({ code: 'PROXY_ERR_BAD_SHIFT' });
    await expect(shiftRoute('nope', 'new', env)).rejects.toMatchObject({ code: 'PROXY_ERR_UNKNOWN_ROUTE' });
  });

  it('the admin API shifts too and reports what it stored', async () => {
    const res = await proxy.admin('/flags/orders', {
      method: 'POST',
      body: JSON.stringify({ to: 'shadow' }),
    });
    expect(await res.json()).toMatchObject({ route: 'orders', mode: 'shadow', percent: 100 });
    const bad = await proxy.admin('/flags/orders', {
      method: 'POST',
      body: JSON.stringify({ to: 'sideways' }),
    });
    expect(bad.status).toBe(400);
    const flags = (await (await proxy.admin('/flags')).json()) as {
      source: string;
      flags: { route: string; stored: unknown }[];
    };
    expect(flags.source).toBe('local-file');
    expect(flags.flags.find((f) => f.route === 'orders')?.stored).toEqual({ mode: 'shadow', percent: 100 });
  });
});
