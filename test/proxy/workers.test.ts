import { readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import { Client } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../lib/net.ts';
import { isAlive } from '../../lib/process.ts';
import { type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';

/**
 * PROXY_WORKERS=2: a primary process (admin API, flag source, route watcher, comparison
 * engine) and two worker processes serving clients. Every check goes through real sockets
 * from outside: several client connections (the primary hands connections to the workers in
 * turn, so they land on both), the admin API, and the process table.
 */
let rig: ProxyRig;
let clients: Client[];

const routes = (legacy: string, next: string, withProducts = true) => ({
  legacy,
  routes: withProducts
    ? [{ id: 'products', methods: ['GET' as const], paths: ['/products/:id'], new: next }]
    : [],
});

beforeAll(async () => {
  rig = await startProxyRig({
    routes: ({ legacy, next }) => routes(legacy.url, next.url),
    flags: { 'strangler.products': { mode: 'legacy', percent: 0 } },
    env: { PROXY_WORKERS: '2', UNLEASH_REFRESH_MS: '500' },
  });
  // four connections of their own: two per worker
  clients = Array.from({ length: 4 }, () => new Client(rig.proxy.url, { pipelining: 0 }));
});
afterAll(async () => {
  await Promise.allSettled(clients?.map((c) => c.close()) ?? []);
  await rig?.stop();
});

/**
 * The primary's cluster workers: its child processes running worker-main.ts (tsx may also
 * have an esbuild service child while it compiles changed files).
 */
function childrenOf(pid: number): number[] {
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .filter((e) => {
      try {
        const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
        if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== pid) return false;
        return readFileSync(`/proc/${e}/cmdline`, 'utf8').includes('worker-main.ts');
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function sideOf(client: Client, path: string): Promise<string | undefined> {
  const res = await client.request({ method: 'GET', path, headers: { 'x-user-id': 'u1' } });
  await res.body.text();
  expect(res.statusCode).toBe(200);
  return res.headers['x-strangler-target'] as string | undefined;
}

/** Resolves once every client connection (so both workers) sees `side` for `path`; returns ms. */
async function untilAllServedBy(side: string, path: string, timeoutMs = 5000): Promise<number> {
  const started = Date.now();
  await waitFor(
    `${path} served by ${side} on every connection`,
    async () => {
      const sides = await Promise.all(clients.map((c) => sideOf(c, path)));
      if (sides.some((s) => s !== side)) throw new Error(`sides: ${sides.join(', ')}`);
    },
    { timeoutMs, intervalMs: 20 },
  );
  return Date.now() - started;
}

interface Stats {
  routes: { route: string; target: string; requests: number }[];
  breakers: Record<string, string>;
}
const stats = async () => (await (await rig.proxy.admin('/stats')).json()) as Stats;
const served = (s: Stats) => s.routes.reduce((n, r) => n + r.requests, 0);

describe('several worker processes (PROXY_WORKERS=2)', () => {
  it('runs two workers under the primary, and the admin API sums their counters', async () => {
    expect(childrenOf(rig.proxy.proc.child.pid!)).toHaveLength(2);
    const before = served(await stats());
    const n = 200;
    await Promise.all(
      clients.map(async (c) => {
        for (let i = 0; i < n / clients.length; i++) await sideOf(c, `/products/${i}`);
      }),
    );
    const after = await stats();
    expect(served(after) - before).toBe(n);
    expect(after.breakers).toEqual({});
    const metrics = await (await rig.proxy.admin('/metrics')).text();
    const counted = [...metrics.matchAll(/^strangler_proxy_requests_total\{[^}]*\} (\d+)$/gm)].reduce(
      (a, m) => a + Number(m[1]),
      0,
    );
    expect(counted).toBe(served(after));
  });

  it('a flag change reaches every worker within 2 s', async () => {
    await untilAllServedBy('legacy', '/products/1');
    await rig.proxy.shift('products', 'new');
    expect(await untilAllServedBy('new', '/products/1')).toBeLessThan(2000);
  });

  it('a route file change and an admin route edit reach every worker', async () => {
    await fs.writeFile(rig.proxy.routesFile, JSON.stringify(routes(rig.legacy.url, rig.next.url, false)));
    await untilAllServedBy('legacy', '/products/1');
    const res = await rig.proxy.admin('/routes/products', {
      method: 'PUT',
      body: JSON.stringify({ methods: ['GET'], paths: ['/products/:id'], new: rig.next.url }),
    });
    expect(res.status).toBe(200);
    // the primary applied it; every worker has it by the time the next requests arrive
    expect(await untilAllServedBy('new', '/products/1')).toBeLessThan(1000);
  });

  it("shadow exchanges from the workers reach the primary's comparison engine", async () => {
    const compared = async () => {
      const report = (await (await rig.proxy.admin('/compare/report')).json()) as {
        routes: { routeId: string; counters: Record<string, number> }[];
      };
      const c = report.routes.find((r) => r.routeId === 'products')?.counters ?? {};
      return Object.values(c).reduce((a, b) => a + b, 0);
    };
    await rig.proxy.shift('products', 'shadow');
    await untilAllServedBy('legacy', '/products/2');
    // the requests above may still be in comparison: start counting once the count holds still
    let before = await compared();
    for (;;) {
      await new Promise((r) => setTimeout(r, 300));
      const now = await compared();
      if (now === before) break;
      before = now;
    }
    await Promise.all(clients.map(async (c) => sideOf(c, '/products/3')));
    await waitFor('a comparison for each of 4 requests (both workers)', async () => {
      const now = await compared();
      if (now - before < 4) throw new Error(`${now - before} of 4`);
    });
  });

  it('a worker that dies is replaced and traffic keeps flowing', async () => {
    const primary = rig.proxy.proc.child.pid!;
    const [victim] = childrenOf(primary);
    process.kill(victim!, 'SIGKILL');
    await waitFor('a replacement worker', async () => {
      const now = childrenOf(primary);
      if (now.length !== 2 || now.includes(victim!)) throw new Error(`workers: ${now.join(', ')}`);
    });
    // connections the dead worker held are gone; new ones land on both workers
    const fresh = Array.from({ length: 4 }, () => new Client(rig.proxy.url));
    try {
      const sides = await Promise.all(fresh.map((c) => sideOf(c, '/products/4')));
      expect(sides).toEqual(['legacy', 'legacy', 'legacy', 'legacy']);
    } finally {
      await Promise.allSettled(fresh.map((c) => c.close()));
    }
  });

  it('SIGTERM to the primary stops the workers too', async () => {
    const workers = childrenOf(rig.proxy.proc.child.pid!);
    await Promise.allSettled(clients.map((c) => c.close()));
    expect(await rig.proxy.proc.stop('SIGTERM')).toBe(0);
    await waitFor('workers gone', async () => {
      const alive = workers.filter(isAlive);
      if (alive.length) throw new Error(`still running: ${alive.join(', ')}`);
    });
  });
});
