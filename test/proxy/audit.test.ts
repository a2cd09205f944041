import fs from 'node:fs/promises';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/net.ts';
import type { AuditEntry } from '../../strangler-proxy/audit/audit-trail.ts';
import { type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';
import { runCli } from '../e2e/system-fixture.ts';

/**
 * The audit trail and named operator tokens on a real proxy process: who changed a flag or a
 * route, when and why, by the admin API, by `strangler shift` on the flag file, and as the
 * proxy saw it; kept across a restart; a revoked or forged token changes nothing.
 */
let rig: ProxyRig;

const as =
  (token: string) =>
  (pathname: string, init: RequestInit = {}) =>
    fetch(rig.proxy.adminUrl + pathname, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        ...(init.headers ?? {}),
      },
    });

async function trail(route?: string): Promise<AuditEntry[]> {
  const res = await rig.proxy.admin(`/audit${route ? `?route=${route}` : ''}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { entries: AuditEntry[] }).entries;
}

async function untilInTrail(what: string, match: (e: AuditEntry) => boolean): Promise<AuditEntry> {
  let found: AuditEntry | undefined;
  await waitFor(
    what,
    async () => {
      found = (await trail()).find(match);
      if (!found) throw new Error(JSON.stringify(await trail(), null, 1).slice(-2000));
    },
    { timeoutMs: 15_000, intervalMs: 100 },
  );
  return found!;
}

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
          flag: 'strangler.products',
        },
      ],
    }),
    flags: { 'strangler.products': { mode: 'legacy', percent: 0 } },
  });
});
afterAll(() => rig?.stop());

describe('audit trail and operator tokens', () => {
  let alice = '';

  it('the admin token issues a named token; the change is in the trail, the token is not', async () => {
    const res = await rig.proxy.admin('/operators', {
      method: 'POST',
      body: JSON.stringify({ name: 'alice', reason: 'on call this week' }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { token: string; operator: { name: string } };
    alice = body.token;
    expect(alice).toMatch(/^[0-9a-f]{64}$/);
    const entry = (await trail('alice')).at(-1)!;
    expect(entry).toMatchObject({
      actor: 'admin',
      action: 'operator.create',
      target: 'alice',
      reason: 'on call this week',
    });
    expect(JSON.stringify(await trail())).not.toContain(alice);
  });

  it("an operator's shift is recorded with their name and reason, then as the proxy saw it", async () => {
    const res = await as(alice)('/flags/products', {
      method: 'POST',
      body: JSON.stringify({ to: '25', reason: 'first canary' }),
    });
    expect(res.status).toBe(200);
    const shift = (await trail('products')).find((e) => e.action === 'flag.shift')!;
    expect(shift).toMatchObject({
      actor: 'alice',
      target: 'products',
      reason: 'first canary',
      before: { mode: 'legacy' },
      after: { mode: 'canary', percent: 25 },
    });
    const seen = await untilInTrail(
      'the proxy to see canary 25',
      (e) => e.action === 'flag.seen' && (e.after as { percent?: number }).percent === 25,
    );
    expect(seen).toMatchObject({ actor: 'flag source', target: 'products', before: { mode: 'legacy' } });
    expect(Date.parse(seen.at)).toBeGreaterThanOrEqual(Date.parse(shift.at));
  });

  it('a route edit carries the reason header', async () => {
    const res = await as(alice)('/routes/products', {
      method: 'PUT',
      headers: { 'x-strangler-reason': 'add HEAD' },
      body: JSON.stringify({
        methods: ['GET', 'HEAD'],
        paths: ['/products/:id'],
        new: rig.next.url,
        flag: 'strangler.products',
      }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
    const entry = (await trail('products')).filter((e) => e.action === 'route.put').at(-1)!;
    expect(entry).toMatchObject({
      actor: 'alice',
      reason: 'add HEAD',
      before: { methods: ['GET'] },
      after: { methods: ['GET', 'HEAD'] },
    });
  });

  it("a hand edit of the route file is recorded as the file; the admin API's own write is not recorded twice", async () => {
    await new Promise((r) => setTimeout(r, 1500)); // the watcher has seen the admin API's write
    expect((await trail()).filter((e) => e.action === 'routes.reload')).toEqual([]);
    const file = JSON.parse(await fs.readFile(rig.proxy.routesFile, 'utf8'));
    file.routes[0].methods = ['GET'];
    await fs.writeFile(rig.proxy.routesFile, JSON.stringify(file, null, 2));
    const entry = await untilInTrail('the reload', (e) => e.action === 'routes.reload');
    expect(entry).toMatchObject({ actor: 'routes file', target: '*' });
    expect((entry.after as { routes: { methods: string[] }[] }).routes[0]!.methods).toEqual(['GET']);
  });

  it('only the admin token manages tokens; a revoked or forged token changes nothing', async () => {
    const refused = await as(alice)('/operators', {
      method: 'POST',
      body: JSON.stringify({ name: 'mallory' }),
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('PROXY_ERR_FORBIDDEN');
    expect((await rig.proxy.admin('/operators/alice', { method: 'DELETE' })).status).toBe(200);
    const before = (await trail()).length;
    for (const token of [alice, 'f'.repeat(64), ''])
      expect(
        (await as(token)('/flags/products', { method: 'POST', body: JSON.stringify({ to: 'new' }) })).status,
      ).toBe(401);
    expect((await trail()).length).toBe(before);
    expect((await trail('alice')).map((e) => e.action)).toEqual(['operator.create', 'operator.revoke']);
  });

  it('strangler shift on the flag file is recorded as the local user, with its reason', async () => {
    const run = await runCli(['shift', 'products', '50', '--reason', 'by hand from the CLI'], {
      ...process.env,
      STRANGLER_DATA_DIR: rig.proxy.dir,
      PROXY_ROUTES_FILE: rig.proxy.routesFile,
      PROXY_FLAGS_FILE: rig.proxy.flagsFile,
    });
    expect(run.code, run.stderr).toBe(0);
    expect((await trail('products')).at(-1)).toMatchObject({
      actor: `cli:${os.userInfo().username}`,
      action: 'flag.shift',
      reason: 'by hand from the CLI',
      after: { mode: 'canary', percent: 50 },
    });
    await untilInTrail(
      'the proxy to see canary 50',
      (e) => e.action === 'flag.seen' && (e.after as { percent?: number }).percent === 50,
    );
  });

  it('a restart loses nothing and records no change that did not happen', async () => {
    const before = await trail();
    await rig.proxy.restart();
    const after = await trail();
    expect(after).toEqual(before);
    // the first flags the restarted proxy fetches are its baseline, not a change
    await new Promise((r) => setTimeout(r, 2000));
    expect(await trail()).toEqual(before);
    const history = await runCli(['history', 'products'], {
      ...process.env,
      PROXY_ADMIN_PORT: new URL(rig.proxy.adminUrl).port,
      PROXY_ADMIN_TOKEN: rig.proxy.token,
    });
    expect(history.code, history.stderr).toBe(0);
    const lines = history.stdout.trim().split('\n');
    expect(lines.length).toBe(before.filter((e) => e.target === 'products').length);
    expect(history.stdout).toMatch(/alice +flag\.shift +products +legacy → canary 25% +"first canary"/);
  });
});
