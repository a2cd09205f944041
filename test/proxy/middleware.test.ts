import { once } from 'node:events';
import fs from 'node:fs/promises';
import type http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { featureFor } from '../../strangler-proxy/flags/flag-mapping.ts';
import {
  createStranglerMiddleware,
  type StranglerMiddleware,
} from '../../strangler-proxy/middleware/index.ts';
import { startUpstreams, type TestUpstream } from '../../strangler-proxy/testing/harness.ts';

/**
 * What only the middleware has: its place among the app's own handlers (`unmatched: 'next'`) and
 * its options, refused with the proxy's errors when wrong. The behaviour it shares with the proxy
 * is pinned by the suites that run on both front ends (routing, fallback, client-hangup,
 * streaming). The app is assembled in this process, as a team would; the upstreams are processes.
 */
let legacy: TestUpstream;
let next: TestUpstream;
let dir: string;
let routesFile: string;
let strangler: StranglerMiddleware | undefined;
let server: http.Server | undefined;
let url: string;

beforeAll(async () => {
  ({ legacy, next } = await startUpstreams());
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'middleware-test-'));
  routesFile = path.join(dir, 'routes.json');
  const flagsFile = path.join(dir, 'flags.json');
  await fs.writeFile(
    routesFile,
    JSON.stringify({
      legacy: legacy.url,
      routes: [{ id: 'products', methods: ['GET'], paths: ['/products/:id'], new: next.url }],
    }),
  );
  await fs.writeFile(
    flagsFile,
    JSON.stringify({
      version: 2,
      features: [featureFor('strangler.products', { mode: 'new', percent: 100 })],
    }),
  );
  strangler = await createStranglerMiddleware({
    settings: {
      routesFile,
      flagsFile,
      dataDir: dir,
      adminPort: 0,
      adminToken: 'middleware-test-token-0123',
    },
    unmatched: 'next',
  });
  const app = express();
  app.use(strangler.handler);
  app.get('/own', (_req, res) => {
    res.json({ own: true });
  });
  app.use((_req, res) => {
    res.status(404).json({ app: 'not found' });
  });
  server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await strangler?.close();
  await Promise.allSettled([legacy?.stop(), next?.stop()]);
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('the middleware among the app’s own handlers', () => {
  it('routes what the table claims, and hands everything else on to the app (unmatched: next)', async () => {
    const routed = await fetch(`${url}/products/1`, { headers: { 'x-user-id': 'u1' } });
    expect(routed.headers.get('x-strangler-target')).toBe('new');
    expect(((await routed.json()) as { upstream: string }).upstream).toBe('new');

    const own = await fetch(`${url}/own`);
    expect(own.headers.get('x-strangler-target')).toBeNull();
    expect(await own.json()).toEqual({ own: true });

    // not sent to legacy: the app's own 404 answers, and legacy never saw the request
    const elsewhere = await fetch(`${url}/elsewhere`);
    expect(elsewhere.status).toBe(404);
    expect(await elsewhere.json()).toEqual({ app: 'not found' });
    expect((await legacy.requests()).some((r) => r.url === '/elsewhere')).toBe(false);
  });

  it('counts what it routed, on the admin API it serves', async () => {
    const res = await fetch(`${strangler!.adminUrl}/stats`, {
      headers: { authorization: `Bearer ${strangler!.adminToken}` },
    });
    const stats = (await res.json()) as { routes: { route: string; target: string; requests: number }[] };
    expect(stats.routes.find((r) => r.route === 'products' && r.target === 'new')?.requests).toBeGreaterThan(
      0,
    );
    expect(stats.routes.some((r) => r.route === 'unmatched')).toBe(false);
  });
});

describe('bad options', () => {
  it('a setting out of range is refused, naming the setting and its environment variable', async () => {
    await expect(
      createStranglerMiddleware({ settings: { routesFile, dataDir: dir, adminPort: 0, breakerVolume: 0 } }),
    ).rejects.toMatchObject({
      code: 'CONFIG_ERR_INVALID',
      message: expect.stringContaining('breakerVolume (env PROXY_BREAKER_VOLUME'),
    });
  });

  it('a route table that does not validate is refused, naming the field', async () => {
    const bad = path.join(dir, 'bad-routes.json');
    await fs.writeFile(bad, JSON.stringify({ legacy: legacy.url, routes: [{ id: 'x', methods: ['GET'] }] }));
    await expect(
      createStranglerMiddleware({ settings: { routesFile: bad, dataDir: dir, adminPort: 0 } }),
    ).rejects.toMatchObject({
      code: 'PROXY_ERR_ROUTE_FILE_INVALID',
      message: expect.stringContaining('routes[0].paths'),
    });
  });
});
