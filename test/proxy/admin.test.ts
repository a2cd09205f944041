import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/net.ts';
import { shiftRoute } from '../../strangler-proxy/cli/shift.ts';
import { stateOf, type UnleashFeature } from '../../strangler-proxy/flags/flag-mapping.ts';
import type { RouteTableInput } from '../../strangler-proxy/routes/route-schema.ts';
import { type ProxyRig, startProxyRig, untilServedBy } from '../../strangler-proxy/testing/harness.ts';

/** Admin auth (generated token file), route table hot reload and edits, flags through the CLI. */
let rig: ProxyRig;

const table = ({ legacy, next }: Pick<ProxyRig, 'legacy' | 'next'> = rig): RouteTableInput => ({
  legacy: legacy.url,
  routes: [{ id: 'products', methods: ['GET'], paths: ['/products/:id'], new: next.url }],
});

beforeAll(async () => {
  rig = await startProxyRig({ routes: table, token: null }); // no PROXY_ADMIN_TOKEN: generated
});
afterAll(() => rig?.stop());

const get = (p: string, authorization?: string) =>
  fetch(rig.proxy.adminUrl + p, { headers: authorization ? { authorization } : {} });

const eventually = <T>(what: string, probe: () => Promise<T>) => waitFor(what, probe, { timeoutMs: 3000 });

describe('admin auth', () => {
  it('generated the token on first start into a 0600 file under the data root', async () => {
    const stat = await fs.stat(path.join(rig.proxy.dir, 'proxy-admin.token'));
    expect(stat.mode & 0o777).toBe(0o600);
    expect(rig.proxy.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses no token and a wrong token with 401, accepts the right one', async () => {
    for (const p of ['/routes', '/stats', '/flags', '/metrics', '/decision?path=/products/1']) {
      expect((await get(p)).status, p).toBe(401);
      expect((await get(p, 'Bearer wrong-token')).status, p).toBe(401);
      expect((await get(p, `Bearer ${rig.proxy.token}x`)).status, p).toBe(401);
      expect((await get(p, rig.proxy.token)).status, p).toBe(401); // bare token only on the Unleash client API
      expect((await get(p, `Bearer ${rig.proxy.token}`)).status, p).toBe(200);
    }
    expect((await get('/api/client/features')).status).toBe(401);
    expect((await get('/api/client/features', rig.proxy.token)).status).toBe(200);
    expect((await get('/health')).status).toBe(200);
  });

  it('serves Prometheus text on /metrics', async () => {
    await fetch(`${rig.proxy.url}/products/1`).then((r) => r.text());
    const res = await get('/metrics', `Bearer ${rig.proxy.token}`);
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
    await fs.writeFile(rig.proxy.routesFile, JSON.stringify(changed));
    await eventually('the new pattern', async () => {
      const r = (await (await rig.proxy.admin('/decision?path=/catalog/3')).json()) as {
        route: string | null;
      };
      if (r.route !== 'products') throw new Error(`/catalog/3 is on route ${r.route}`);
    });
  });

  it('rejects an invalid file naming the field, and keeps the running table', async () => {
    const bad = table() as { routes: Record<string, unknown>[] };
    bad.routes[0]!.new = 'ftp://nope';
    bad.routes[0]!.methods = ['FETCH'];
    await fs.writeFile(rig.proxy.routesFile, JSON.stringify(bad));
    const body = await eventually('the reload error', async () => {
      const r = (await (await rig.proxy.admin('/routes')).json()) as {
        lastReloadError: string | null;
        table: { routes: { paths: string[] }[] };
      };
      if (!r.lastReloadError) throw new Error('no reload error yet');
      return r;
    });
    expect(body.lastReloadError).toContain('routes[0].new');
    expect(body.lastReloadError).toContain('routes[0].methods[0]');
    expect(body.table.routes[0]!.paths).toContain('/catalog/:id'); // still the last good table
    await fs.writeFile(rig.proxy.routesFile, '{ not json');
    await eventually('the JSON error', async () => {
      const r = (await (await rig.proxy.admin('/routes')).json()) as { lastReloadError: string | null };
      if (!r.lastReloadError?.includes('cannot read route table')) throw new Error(`${r.lastReloadError}`);
    });
    const res = await fetch(`${rig.proxy.url}/catalog/3`);
    expect(res.headers.get('x-strangler-target')).toBe('legacy');
  });

  it('edits through the admin API: invalid → 400 naming the field, valid → applied and written', async () => {
    const bad = await rig.proxy.admin('/routes/orders', {
      method: 'PUT',
      body: JSON.stringify({ methods: ['GET'], paths: ['no-slash'] }),
    });
    expect(bad.status).toBe(400);
    const err = (await bad.json()) as { error: { code: string; message: string } };
    expect(err.error.code).toBe('PROXY_ERR_ROUTE_FILE_INVALID');
    expect(err.error.message).toContain('routes[1].paths[0]');
    expect(err.error.message).toContain('routes[1].new');
    const good = await rig.proxy.admin('/routes/orders', {
      method: 'PUT',
      body: JSON.stringify({ methods: ['GET'], paths: ['/orders/:id'], new: rig.next.url }),
    });
    expect(good.status).toBe(200);
    const onDisk = JSON.parse(await fs.readFile(rig.proxy.routesFile, 'utf8')) as {
      routes: { id: string }[];
    };
    expect(onDisk.routes.map((r) => r.id)).toEqual(['products', 'orders']);
    const d = (await (await rig.proxy.admin('/decision?path=/orders/9')).json()) as { route: string };
    expect(d.route).toBe('orders');
  });
});

describe('flags', () => {
  it('strangler shift (CLI module) changes the flag the proxy polls; the proxy follows within 2 s', async () => {
    const env = { routesFile: rig.proxy.routesFile, dataDir: rig.proxy.dir };
    const r = await shiftRoute('orders', '40', env);
    expect(r).toMatchObject({
      flag: 'strangler.orders',
      before: { mode: 'legacy' },
      after: { mode: 'canary', percent: 40 },
      store: 'local-file',
    });
    const doc = JSON.parse(await fs.readFile(rig.proxy.flagsFile, 'utf8')) as { features: UnleashFeature[] };
    expect(stateOf(doc.features.find((f) => f.name === 'strangler.orders'))).toEqual({
      mode: 'canary',
      percent: 40,
    });
    const started = Date.now();
    await shiftRoute('orders', 'new', env);
    await untilServedBy(rig.proxy.url, 'new', '/orders/1', { timeoutMs: 3000 });
    expect(Date.now() - started).toBeLessThan(2000);
    await expect(shiftRoute('orders', '140', env)).rejects.toMatchObject({ code: 'PROXY_ERR_BAD_SHIFT' });
    await expect(shiftRoute('nope', 'new', env)).rejects.toMatchObject({ code: 'PROXY_ERR_UNKNOWN_ROUTE' });
  });

  it('the admin API shifts too and reports what it stored', async () => {
    const res = await rig.proxy.admin('/flags/orders', {
      method: 'POST',
      body: JSON.stringify({ to: 'shadow' }),
    });
    expect(await res.json()).toMatchObject({ route: 'orders', mode: 'shadow', percent: 100 });
    const bad = await rig.proxy.admin('/flags/orders', {
      method: 'POST',
      body: JSON.stringify({ to: 'sideways' }),
    });
    expect(bad.status).toBe(400);
    const flags = (await (await rig.proxy.admin('/flags')).json()) as {
      source: string;
      flags: { route: string; stored: unknown }[];
    };
    expect(flags.source).toBe('local-file');
    expect(flags.flags.find((f) => f.route === 'orders')?.stored).toEqual({ mode: 'shadow', percent: 100 });
  });
});
