import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  startProxy,
  startUpstream,
  type TestProxy,
  type TestUpstream,
} from '../../strangler-proxy/testing/harness.ts';

let legacy: TestUpstream;
let next: TestUpstream;
let proxy: TestProxy;

beforeAll(async () => {
  [legacy, next] = await Promise.all([startUpstream('legacy'), startUpstream('new')]);
  proxy = await startProxy({
    routes: {
      legacy: legacy.url,
      routes: [
        {
          id: 'products',
          methods: ['GET', 'HEAD'],
          paths: ['/products', '/products/:id'],
          new: next.url,
          flag: 'strangler.products',
        },
        { id: 'orders', methods: ['GET'], paths: ['/orders/:id', '/users/:id/orders'], new: next.url },
      ],
    },
    flags: { 'strangler.products': { mode: 'legacy', percent: 0 } },
  });
});
afterAll(async () => {
  await Promise.allSettled([proxy?.stop(), legacy?.stop(), next?.stop()]);
});

async function get(path: string, headers: Record<string, string> = {}) {
  const res = await fetch(proxy.url + path, { headers });
  const body = (await res.json()) as { upstream: string; url: string; headers: Record<string, string> };
  return { status: res.status, target: res.headers.get('x-strangler-target'), body };
}

async function shift(route: string, to: string) {
  const res = await proxy.admin(`/flags/${route}`, { method: 'POST', body: JSON.stringify({ to }) });
  expect(res.status).toBe(200);
  return res.json();
}

/** Polls until the proxy serves `path` from `side`; returns how long it took. */
async function untilServedBy(
  side: string,
  path: string,
  headers: Record<string, string> = {},
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const r = await get(path, headers);
    if (r.target === side) return Date.now() - started;
    if (Date.now() - started > 5000) throw new Error(`still served by ${r.target} after 5 s`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('routing by mode', () => {
  it('sends unmatched paths and methods to legacy untouched', async () => {
    const a = await get('/health?x=1');
    expect(a).toMatchObject({ target: 'legacy', body: { upstream: 'legacy', url: '/health?x=1' } });
    const res = await fetch(`${proxy.url}/products`, { method: 'POST', body: '{}' });
    expect(res.headers.get('x-strangler-target')).toBe('legacy');
    expect(((await res.json()) as { upstream: string }).upstream).toBe('legacy');
  });

  it('legacy mode serves from legacy', async () => {
    const r = await get('/products/7', { 'x-user-id': 'u1' });
    expect(r).toMatchObject({
      status: 200,
      target: 'legacy',
      body: { upstream: 'legacy', url: '/products/7' },
    });
  });

  it('new mode serves from new, and the change lands within 2 s', async () => {
    await shift('products', 'new');
    const took = await untilServedBy('new', '/products/7', { 'x-user-id': 'u1' });
    expect(took).toBeLessThan(2000);
    const r = await get('/products?page=2', { 'x-user-id': 'anyone' });
    expect(r.body).toMatchObject({ upstream: 'new', url: '/products?page=2' });
  });

  it('shadow mode: legacy serves and new gets a background copy', async () => {
    await shift('products', 'shadow');
    await untilServedBy('legacy', '/products/8');
    const marker = `/products/8?shadow=${Date.now()}`;
    const r = await get(marker, { 'x-user-id': 'shadow-user' });
    expect(r).toMatchObject({ target: 'legacy', body: { upstream: 'legacy' } });
    let copy: { url: string; headers: Record<string, string> } | undefined;
    for (let i = 0; i < 50 && !copy; i++) {
      copy = (await next.requests()).find((q) => q.url === marker);
      if (!copy) await new Promise((r) => setTimeout(r, 50));
    }
    expect(copy?.headers['x-strangler-shadow']).toBe('1');
  });

  it('canary is sticky per user, and 10k users at 25 % land 25 % ± 2 % on new', async () => {
    await shift('products', '25');
    const started = Date.now();
    for (;;) {
      const def = (await (await proxy.admin('/flags')).json()) as {
        flags: { seenByProxy: { strategies: { parameters: { rollout: string } }[] } }[];
      };
      if (def.flags[0]?.seenByProxy?.strategies[0]?.parameters.rollout === '25') break;
      if (Date.now() - started > 3000) throw new Error('proxy never saw the 25 % rollout');
      await new Promise((r) => setTimeout(r, 50));
    }
    const pool = new Pool(proxy.url, { connections: 16 });
    const sideOf = async (user: string) => {
      const res = await pool.request({ method: 'HEAD', path: '/products/1', headers: { 'x-user-id': user } });
      await res.body.dump();
      return res.headers['x-strangler-target'] as string;
    };
    try {
      const users = Array.from({ length: 10_000 }, (_, i) => `user-${i}`);
      const sides: string[] = new Array(users.length);
      let at = 0;
      await Promise.all(
        Array.from({ length: 32 }, async () => {
          while (at < users.length) {
            const i = at++;
            sides[i] = await sideOf(users[i]!);
          }
        }),
      );
      const share = sides.filter((s) => s === 'new').length / users.length;
      expect(share).toBeGreaterThan(0.23);
      expect(share).toBeLessThan(0.27);
      // the same users again: every one lands where it landed before
      for (let i = 0; i < 200; i++) expect(await sideOf(users[i]!)).toBe(sides[i]);
      // a cookie identifies the user as well as the header does
      const viaCookie = await pool.request({
        method: 'HEAD',
        path: '/products/1',
        headers: { cookie: 'a=b; uid=user-3' },
      });
      await viaCookie.body.dump();
      expect(viaCookie.headers['x-strangler-target']).toBe(sides[3]);
    } finally {
      await pool.close();
    }
  });

  it('back to legacy for everyone', async () => {
    await shift('products', 'legacy');
    await untilServedBy('legacy', '/products/1', { 'x-user-id': 'user-1' });
    const r = await get('/products/1', { 'x-user-id': 'user-2' });
    expect(r.target).toBe('legacy');
  });

  it('admin decision endpoint explains a sample request', async () => {
    await shift('products', 'new');
    await untilServedBy('new', '/products/1');
    const res = await proxy.admin('/decision?method=GET&path=/products/../products/5&userId=u9');
    expect(await res.json()).toMatchObject({
      route: 'products',
      path: '/products/5',
      mode: 'new',
      serve: 'new',
      upstream: next.url,
    });
    const none = await proxy.admin('/decision?method=GET&path=/admin');
    expect(await none.json()).toMatchObject({ route: null, serve: 'legacy', upstream: legacy.url });
  });
});
