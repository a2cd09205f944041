import { once } from 'node:events';
import fs from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { createAdminApp } from '../../strangler-proxy/admin/admin-app.ts';
import { OperatorTokens } from '../../strangler-proxy/admin/operators.ts';
import { AuditTrail } from '../../strangler-proxy/audit/audit-trail.ts';
import { Breakers } from '../../strangler-proxy/breakers.ts';
import { loadProxyConfig } from '../../strangler-proxy/config.ts';
import { FlagDecider } from '../../strangler-proxy/flags/decider.ts';
import { LocalFlagFile } from '../../strangler-proxy/flags/local-flag-file.ts';
import { OverrideSigner } from '../../strangler-proxy/flags/tester-override.ts';
import { UpstreamPools } from '../../strangler-proxy/forward/upstream-pools.ts';
import { createRegistry, ProxyStats } from '../../strangler-proxy/metrics.ts';
import { createRequestPath } from '../../strangler-proxy/request-path.ts';
import { buildRouteTable, type RouteTable } from '../../strangler-proxy/routes/route-table.ts';
import { RouteWatcher } from '../../strangler-proxy/routes/route-watcher.ts';
import type { Exchange, ShadowHook } from '../../strangler-proxy/shadow-hook.ts';
import { startUpstreams, type TestUpstream, untilServedBy } from '../../strangler-proxy/testing/harness.ts';

/**
 * The shadow hook contract, seen from a hook: the proxy's real handler and flag path are
 * assembled in this process (so a recording hook can be plugged in, as the compare engine
 * will be in main.ts); the upstreams are separate processes; flags come through the real
 * embedded Unleash client API and unleash-client.
 */
const token = 'hook-test-token-0123456789';
let legacy: TestUpstream;
let next: TestUpstream;
let dir: string;
let flags: LocalFlagFile;
let decider: FlagDecider;
let pools: UpstreamPools;
const servers: http.Server[] = [];
let url: string;
const seen: Exchange[] = [];

beforeAll(async () => {
  ({ legacy, next } = await startUpstreams());
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'proxy-hook-'));
  const config = loadProxyConfig({ dataDir: dir, adminToken: token });
  const log = createLogger('proxy-hook-test');
  const table: RouteTable = buildRouteTable(
    {
      legacy: legacy.url,
      routes: [
        { id: 'shadowed', methods: ['GET'], paths: ['/s/:id'], new: next.url },
        {
          id: 'served',
          methods: ['GET', 'POST'],
          paths: ['/n', '/n/:id'],
          new: next.url,
          compare: { captureRequestBodyMethods: ['POST'], maxBodyBytes: 64 },
        },
        { id: 'plain', methods: ['GET'], paths: ['/p'], new: next.url, compare: { enabled: false } },
      ],
    },
    config.captureMaxBytes,
  );
  flags = new LocalFlagFile(config.flagsFile);
  await flags.set('strangler.shadowed', { mode: 'shadow', percent: 100 });
  await flags.set('strangler.served', { mode: 'new', percent: 100 });
  await flags.set('strangler.plain', { mode: 'new', percent: 100 });
  const stats = new ProxyStats();
  const breakers = new Breakers(
    { errorThresholdPercentage: 50, volumeThreshold: 5, resetTimeout: 5000, rollingCountTimeout: 10_000 },
    log,
  );
  pools = new UpstreamPools({ connections: 4, connectTimeoutMs: 1000 });
  const admin = http.createServer(
    createAdminApp({
      token,
      operators: new OperatorTokens(dir, token),
      audit: await AuditTrail.open(dir),
      overrides: new OverrideSigner('a-test-key-of-at-least-32-characters!'),
      routesFile: path.join(dir, 'routes.json'),
      captureMaxBytes: config.captureMaxBytes,
      table: () => table,
      applyTable: () => {},
      watcher: new RouteWatcher(path.join(dir, 'routes.json'), 0, () => {}, log),
      flags,
      localFlags: flags,
      decider: () => decider,
      stats,
      breakers,
      registry: createRegistry(stats, () => breakers.entries()),
      compareStore: () => undefined,
      log,
    }),
  );
  admin.listen(0, '127.0.0.1');
  await once(admin, 'listening');
  servers.push(admin);
  decider = new FlagDecider({
    url: `http://127.0.0.1:${(admin.address() as { port: number }).port}/api/`,
    token,
    refreshMs: 1000,
    backupPath: dir,
    environment: 'development',
    log,
  });
  expect(await decider.waitUntilReady(5000)).toBe(true);
  const hook: ShadowHook = { onExchange: (e) => seen.push(e) };
  const proxy = http.createServer(
    createRequestPath({ config, table: () => table, pools, breakers, decider, stats, hook, log }),
  );
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  servers.push(proxy);
  url = `http://127.0.0.1:${(proxy.address() as { port: number }).port}`;
});
afterAll(async () => {
  decider?.destroy();
  for (const s of servers) {
    s.closeAllConnections();
    s.close();
  }
  await pools?.close();
  await Promise.allSettled([legacy?.stop(), next?.stop()]);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

const lastFor = (routeId: string) => [...seen].reverse().find((e) => e.routeId === routeId);

describe('shadow hook contract', () => {
  it('shadow mode: legacy served; the exchange carries the teed response and names new as the other side', async () => {
    const res = await fetch(`${url}/s/1?q=%2F`, { headers: { 'x-user-id': 'u1' } });
    const body = await res.text();
    expect(res.headers.get('x-strangler-target')).toBe('legacy');
    const e = lastFor('shadowed')!;
    expect(e).toMatchObject({
      mode: 'shadow',
      servedBy: 'legacy',
      other: 'new',
      otherUpstream: next.url,
      fellBack: false,
      request: { method: 'GET', path: '/s/1?q=%2F', body: undefined, bodyTruncated: false },
      response: { status: 200, truncated: false },
    });
    expect(e.response.body.toString()).toBe(body);
    expect(e.request.headers).toContain('traceparent');
    expect(e.request.headers).not.toContain('connection');
    expect(e.response.headers).toEqual(
      expect.arrayContaining(['x-strangler-target', 'legacy', 'x-upstream', 'legacy']),
    );
    expect(e.durationMs).toBeGreaterThan(0);
    expect(e.startedAt).toBeLessThanOrEqual(Date.now());
  });

  it('new mode: new served; the request body is captured for opted-in methods, both bodies capped and marked', async () => {
    const sent = 'x'.repeat(100);
    const res = await fetch(`${url}/n`, { method: 'POST', body: sent });
    const body = await res.text();
    expect(res.headers.get('x-strangler-target')).toBe('new');
    const e = lastFor('served')!;
    expect(e).toMatchObject({ mode: 'new', servedBy: 'new', other: 'legacy', otherUpstream: legacy.url });
    expect(e.request.body?.toString()).toBe(sent.slice(0, 64));
    expect(e.request.bodyTruncated).toBe(true);
    expect(e.response.body.toString()).toBe(body.slice(0, 64));
    expect(e.response.truncated).toBe(true);
    const get = await fetch(`${url}/n/2`);
    await get.text();
    expect(lastFor('served')!.request.body).toBeUndefined(); // GET is not opted in
  });

  it('a fallback is reported with fellBack and servedBy legacy', async () => {
    const res = await fetch(`${url}/n/3`, { headers: { 'x-test-status': '502' } });
    await res.text();
    expect(res.headers.get('x-strangler-target')).toBe('legacy');
    expect(lastFor('served')).toMatchObject({
      servedBy: 'legacy',
      fellBack: true,
      mode: 'new',
      response: { status: 502 },
    });
  });

  it('no exchange for routes with compare disabled, unmatched paths or legacy mode', async () => {
    const before = seen.length;
    await (await fetch(`${url}/p`)).text();
    await (await fetch(`${url}/elsewhere`)).text();
    await flags.set('strangler.served', { mode: 'legacy', percent: 0 });
    await untilServedBy(url, 'legacy', '/n/4', { timeoutMs: 3000 });
    const after = seen.length;
    await (await fetch(`${url}/n/5`)).text();
    expect(seen.length).toBe(after);
    expect(seen.slice(before).every((e) => e.routeId === 'served')).toBe(true);
  });
});
