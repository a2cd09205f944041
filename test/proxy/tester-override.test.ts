import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../strangler-proxy/audit/audit-trail.ts';
import { frontEnds, type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';

/**
 * A named tester's override on a real proxy process and on the Express middleware: issued by
 * the admin API (audited), it sends the tester's requests to the side it names whatever the
 * flag says; a forged, expired, altered or other-route value is ignored and counted; the
 * header never reaches an upstream.
 */
interface Issued {
  value: string;
  header: string;
  cookie: string;
  expiresAt: string;
}

describe.each(frontEnds)('through the %s', (frontEnd) => {
  let rig: ProxyRig;

  beforeAll(async () => {
    rig = await startProxyRig({
      frontEnd,
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
          { id: 'orders', methods: ['GET'], paths: ['/orders/:id'], new: next.url, flag: 'strangler.orders' },
        ],
      }),
      flags: {
        'strangler.products': { mode: 'legacy', percent: 0 },
        'strangler.orders': { mode: 'new', percent: 100 },
      },
    });
  });
  afterAll(() => rig?.stop());

  async function issue(body: object): Promise<Issued> {
    const res = await rig.proxy.admin('/overrides', { method: 'POST', body: JSON.stringify(body) });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as Issued;
  }
  async function servedBy(path: string, headers: Record<string, string>) {
    const res = await fetch(rig.proxy.url + path, { headers });
    const body = (await res.json()) as { upstream: string; headers: Record<string, string> };
    return { target: res.headers.get('x-strangler-target'), upstream: body.upstream, seen: body.headers };
  }

  it('sends the tester to the side it names, by header or cookie, and the upstream never sees it', async () => {
    const toNew = await issue({
      tester: 'alice',
      side: 'new',
      routes: ['products'],
      ttlSeconds: 600,
      reason: 'try the catalog',
    });
    expect(toNew).toMatchObject({ header: 'x-strangler-override', cookie: 'strangler_override' });
    // the flag says legacy; the tester gets the new side, everyone else legacy
    const forced = await servedBy('/products/1', { 'x-strangler-override': toNew.value });
    expect(forced).toMatchObject({ target: 'new', upstream: 'new' });
    expect(forced.seen['x-strangler-override']).toBeUndefined();
    expect((await servedBy('/products/1', {})).target).toBe('legacy');
    const byCookie = await servedBy('/products/2', { cookie: `a=1; strangler_override=${toNew.value}` });
    expect(byCookie.target).toBe('new');
    // the orders route is new for everyone; an override to legacy for every route brings the tester back
    const toLegacy = await issue({ tester: 'bob', side: 'legacy' });
    expect((await servedBy('/orders/7', { 'x-strangler-override': toLegacy.value })).target).toBe('legacy');
    expect((await servedBy('/orders/7', {})).target).toBe('new');
  });

  it('ignores a forged, altered, other-route or garbled value, and counts each', async () => {
    const { value } = await issue({ tester: 'carol', side: 'new', routes: ['orders'] });
    const [v, , sig] = value.split('.');
    const payload = Buffer.from(
      JSON.stringify({ t: 'mallory', s: 'new', r: null, e: Date.now() + 1e9 }),
    ).toString('base64url');
    for (const bad of [`${v}.${payload}.${sig}`, value, 'v1.e30.AAAA', 'not-an-override'])
      expect((await servedBy('/products/3', { 'x-strangler-override': bad })).target).toBe('legacy');
    const metrics = await (await rig.proxy.admin('/metrics')).text();
    const count = (side: string, outcome: string) =>
      Number(
        new RegExp(
          `strangler_proxy_overrides_total\\{route="products",side="${side}",outcome="${outcome}"\\} (\\d+)`,
        ).exec(metrics)?.[1] ?? 0,
      );
    expect(count('ignored', 'bad-signature')).toBe(2);
    expect(count('ignored', 'other-route')).toBe(1);
    expect(count('ignored', 'malformed')).toBe(1);
    expect(count('new', 'applied')).toBe(2); // the header and the cookie above
  });

  it('is issued only through the admin API, and every issue is in the audit trail', async () => {
    const refused = await fetch(`${rig.proxy.adminUrl}/overrides`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tester: 'eve', side: 'new' }),
    });
    expect(refused.status).toBe(401);
    const bad = await rig.proxy.admin('/overrides', {
      method: 'POST',
      body: JSON.stringify({ tester: 'eve', side: 'both' }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { code: string } }).error.code).toBe('PROXY_ERR_OVERRIDE_INVALID');
    const entries = ((await (await rig.proxy.admin('/audit')).json()) as { entries: AuditEntry[] }).entries;
    expect(
      entries
        .filter((e) => e.action === 'override.issue')
        .map((e) => [e.actor, e.target, (e.after as { side: string }).side]),
    ).toEqual([
      ['admin', 'alice', 'new'],
      ['admin', 'bob', 'legacy'],
      ['admin', 'carol', 'new'],
    ]);
    expect(entries.find((e) => e.target === 'alice')?.reason).toBe('try the catalog');
  });
});
