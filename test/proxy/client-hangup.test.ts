import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontEnds, type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';

/**
 * Clients that hang up while the new service stalls. The stall is the upstream's business (the
 * route's timeouts catch it); the hang-up is the client's: it must neither count as a new-side
 * failure for the breaker nor as a 502 in the stats, but as its own outcome (499, nginx's
 * "client closed request").
 */
let rig: ProxyRig;

interface Stats {
  routes: { route: string; target: string; requests: number; byStatus: Record<string, number> }[];
  fallbacks: { route: string; reason: string; count: number }[];
  breakers: Record<string, string>;
}
async function stats(): Promise<Stats> {
  return (await (await rig.proxy.admin('/stats')).json()) as Stats;
}
const side = (s: Stats, target: string, route = 'orders') =>
  s.routes.find((r) => r.route === route && r.target === target)?.byStatus ?? {};

/** One request on its own connection; `hangUp()` resets it (the client is gone, whatever it was owed). */
async function openRequest(request: string): Promise<{ hangUp(): string }> {
  const socket = net.connect(rig.proxy.port, '127.0.0.1');
  let received = '';
  socket.on('data', (chunk: Buffer) => {
    received += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(request);
  return {
    hangUp() {
      socket.resetAndDestroy();
      return received;
    },
  };
}

/** Waits until the upstream has received every request whose URL carries `marker`. */
async function seenBy(upstream: 'legacy' | 'next', marker: string, count: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const seen = (await rig[upstream].requests()).filter((r) => r.url.includes(marker)).length;
    if (seen >= count) return;
    await sleep(50);
  }
  throw new Error(`the new upstream did not receive ${count} requests marked ${marker}`);
}

describe.each(frontEnds)('through the %s', (frontEnd) => {
  beforeAll(async () => {
    rig = await startProxyRig({
      frontEnd,
      routes: ({ legacy, next }) => ({
        legacy: legacy.url,
        routes: [
          {
            id: 'orders',
            methods: ['GET', 'POST'],
            paths: ['/orders', '/orders/:id'],
            new: next.url,
            timeouts: { headersMs: 20_000, bodyMs: 20_000 },
            compare: { enabled: false },
          },
        ],
      }),
      flags: { 'strangler.orders': { mode: 'new', percent: 100 } },
      env: { PROXY_BREAKER_VOLUME: '4', PROXY_BREAKER_RESET_MS: '1000', PROXY_BREAKER_ERROR_PERCENT: '50' },
    });
    const res = await fetch(`${rig.proxy.url}/orders/1`);
    expect(res.headers.get('x-strangler-target')).toBe('new');
  });
  afterAll(() => rig?.stop());

  describe('a client that hangs up while the new service stalls', () => {
    it('is counted as 499, not as a 502, and does not open the breaker', async () => {
      const before = await stats();
      await rig.next.control({ delayMs: 8000 });
      try {
        const hangUps = 12;
        const open = await Promise.all(
          Array.from({ length: hangUps }, (_, i) =>
            openRequest(
              i % 2 === 0
                ? `GET /orders/${i}?hangup=1 HTTP/1.1\r\nHost: shop\r\n\r\n`
                : `POST /orders?hangup=1 HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}`,
            ),
          ),
        );
        // every request is with the stalled upstream; now every client leaves
        await seenBy('next', 'hangup=1', hangUps);
        const received = open.map((request) => request.hangUp());
        expect(received).toEqual(Array(hangUps).fill('')); // nobody got an answer: they left first
        // the proxy records each outcome when it sees the close
        let after = await stats();
        for (
          let i = 0;
          i < 100 && (side(after, 'new')['499'] ?? 0) - (side(before, 'new')['499'] ?? 0) < hangUps;
          i++
        ) {
          await sleep(50);
          after = await stats();
        }
        expect((side(after, 'new')['499'] ?? 0) - (side(before, 'new')['499'] ?? 0)).toBe(hangUps);
        expect(side(after, 'new')['502'] ?? 0).toBe(side(before, 'new')['502'] ?? 0);
        expect(side(after, 'legacy')).toEqual(side(before, 'legacy')); // no fallback either
        expect(after.fallbacks).toEqual(before.fallbacks);
        expect(after.breakers[rig.next.url]).toBe('closed');
        const metrics = await (await rig.proxy.admin('/metrics')).text();
        expect(metrics).toMatch(
          new RegExp(
            `strangler_proxy_requests_total\\{route="orders",target="new",status="499"\\} ${hangUps}\\b`,
          ),
        );
        expect(metrics).not.toMatch(
          /strangler_proxy_requests_total\{route="orders",target="new",status="502"\}/,
        );
      } finally {
        await rig.next.control({});
      }
      // the new side still serves (the breaker never opened)
      const res = await fetch(`${rig.proxy.url}/orders/5`);
      expect(res.headers.get('x-strangler-target')).toBe('new');
      await res.text();
    });

    it('is counted as 499 on the legacy side too', async () => {
      const before = await stats();
      await rig.legacy.control({ delayMs: 8000 });
      try {
        const open = await Promise.all(
          [1, 2, 3].map((i) => openRequest(`GET /elsewhere/${i}?hangup=2 HTTP/1.1\r\nHost: shop\r\n\r\n`)),
        );
        await seenBy('legacy', 'hangup=2', 3);
        for (const request of open) request.hangUp();
        let after = await stats();
        for (let i = 0; i < 100 && (side(after, 'legacy', 'unmatched')['499'] ?? 0) < 3; i++) {
          await sleep(50);
          after = await stats();
        }
        expect(
          (side(after, 'legacy', 'unmatched')['499'] ?? 0) -
            (side(before, 'legacy', 'unmatched')['499'] ?? 0),
        ).toBe(3);
        expect(side(after, 'legacy', 'unmatched')['502'] ?? 0).toBe(
          side(before, 'legacy', 'unmatched')['502'] ?? 0,
        );
      } finally {
        await rig.legacy.control({});
      }
    });

    it('a hang-up of the half-open probe proves nothing: the breaker opens again for another probe', async () => {
      await rig.next.control({ status: 500 });
      try {
        for (let i = 0; i < 40 && (await stats()).breakers[rig.next.url] !== 'open'; i++) {
          const res = await fetch(`${rig.proxy.url}/orders/${i}`);
          await res.text();
        }
        expect((await stats()).breakers[rig.next.url]).toBe('open');
        await rig.next.control({ delayMs: 8000 });
        for (let i = 0; i < 100 && (await stats()).breakers[rig.next.url] !== 'half-open'; i++)
          await sleep(50);
        expect((await stats()).breakers[rig.next.url]).toBe('half-open');
        const probe = await openRequest('GET /orders/77?hangup=3 HTTP/1.1\r\nHost: shop\r\n\r\n');
        await seenBy('next', 'hangup=3', 1);
        probe.hangUp();
        for (let i = 0; i < 100 && (await stats()).breakers[rig.next.url] === 'half-open'; i++)
          await sleep(20);
        expect((await stats()).breakers[rig.next.url]).toBe('open');
      } finally {
        await rig.next.control({});
      }
    });

    it('still lets a real new-side failure open the breaker', async () => {
      // From a closed breaker: the next probe of the healthy new side closes it again.
      for (let i = 0; i < 100 && (await stats()).breakers[rig.next.url] !== 'half-open'; i++) await sleep(50);
      await (await fetch(`${rig.proxy.url}/orders/1`)).text();
      expect((await stats()).breakers[rig.next.url]).toBe('closed');
      // The hang-ups above count as fires that did not fail (opossum's errorFilter), so within
      // the rolling window the failures must outnumber them before the breaker opens.
      await rig.next.kill();
      let requests = 0;
      while ((await stats()).breakers[rig.next.url] !== 'open' && requests < 40) {
        const res = await fetch(`${rig.proxy.url}/orders/${requests++}`);
        expect(res.headers.get('x-strangler-target')).toBe('legacy');
        await res.text();
      }
      expect((await stats()).breakers[rig.next.url]).toBe('open');
    });
  });
});
