import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { ProxyError } from '../errors.ts';
import { buildRouteTable } from '../routes/route-table.ts';
import { Bulkhead, type BulkheadRefusal, type BulkheadWaiter } from './bulkhead.ts';
import { RouteBulkheads } from './route-bulkhead-registry.ts';

/** A request as the bulkhead sees it, writing down what it was told. */
class Probe implements BulkheadWaiter {
  state: 'new' | 'admitted' | BulkheadRefusal = 'new';
  admitted(): void {
    this.state = 'admitted';
  }
  refused(reason: BulkheadRefusal): void {
    this.state = reason;
  }
}

function enterMany(bulkhead: Bulkhead, n: number): Probe[] {
  return Array.from({ length: n }, () => {
    const p = new Probe();
    bulkhead.enter(p);
    return p;
  });
}

const count = (probes: Probe[], state: Probe['state']) => probes.filter((p) => p.state === state).length;

describe('Bulkhead', () => {
  it('admits maxInFlight at once and refuses the rest when it has no queue', () => {
    const b = new Bulkhead({ maxInFlight: 3 });
    const probes = enterMany(b, 10);
    expect(count(probes, 'admitted')).toBe(3);
    expect(count(probes, 'full')).toBe(7);
    expect(b.inFlight).toBe(3);
    // a refused request holds nothing: leaving with it frees no slot
    b.leave(probes[9]!);
    expect(b.inFlight).toBe(3);
    b.leave(probes[0]!);
    b.leave(probes[0]!); // idempotent
    expect(b.inFlight).toBe(2);
    expect(enterMany(b, 2).map((p) => p.state)).toEqual(['admitted', 'full']);
  });

  it('queues within its bound, first in first out, and refuses beyond it', () => {
    const b = new Bulkhead({ maxInFlight: 1, queue: 2, queueWaitMs: 60_000 });
    const [first, q1, q2, over] = enterMany(b, 4);
    expect([first!.state, q1!.state, q2!.state, over!.state]).toEqual([
      'admitted',
      'new',
      'new',
      'queue-full',
    ]);
    expect(b.queued).toBe(2);
    b.leave(first!);
    expect([q1!.state, q2!.state]).toEqual(['admitted', 'new']);
    // a queued request that goes away gives its place back without ever being admitted
    b.leave(q2!);
    expect(b.queued).toBe(0);
    b.leave(q1!);
    expect(q2!.state).toBe('new');
    expect(b.inFlight).toBe(0);
  });

  it('refuses a request that waited queueWaitMs', async () => {
    const b = new Bulkhead({ maxInFlight: 1, queue: 1, queueWaitMs: 50 });
    const [, waiting] = enterMany(b, 2);
    await sleep(20);
    expect(waiting!.state).toBe('new');
    await sleep(80);
    expect(waiting!.state).toBe('queue-timeout');
    expect(b.queued).toBe(0);
    b.leave(waiting!); // the request path gives it back again when it records: nothing happens
    expect(b.inFlight).toBe(1);
  });

  it('keeps its requests in flight across new limits', () => {
    const b = new Bulkhead({ maxInFlight: 2, queue: 3, queueWaitMs: 60_000 });
    const probes = enterMany(b, 5);
    expect(count(probes, 'admitted')).toBe(2);
    b.setLimits({ maxInFlight: 3, queue: 1, queueWaitMs: 60_000 });
    // one more slot admits the oldest waiter; the smaller queue refuses the newest one beyond it
    expect(probes.map((p) => p.state)).toEqual(['admitted', 'admitted', 'admitted', 'new', 'queue-full']);
    b.setLimits({ maxInFlight: 1 });
    expect(probes[3]!.state).toBe('queue-full');
    expect(b.inFlight).toBe(3);
    b.leave(probes[0]!);
    b.leave(probes[1]!);
    expect(enterMany(b, 1)[0]!.state).toBe('full');
  });

  it('refuses bad limits given in code with PROXY_ERR_BULKHEAD_INVALID naming the field', () => {
    const bad = (limits: unknown) => {
      try {
        new Bulkhead(limits as never);
      } catch (err) {
        expect(err).toBeInstanceOf(ProxyError);
        expect((err as ProxyError).code).toBe('PROXY_ERR_BULKHEAD_INVALID');
        return (err as Error).message;
      }
      throw new Error('accepted');
    };
    expect(bad({ maxInFlight: 0 })).toMatch(/bulkhead\.maxInFlight: .*>=1/);
    expect(bad({ maxInFlight: 2.5 })).toMatch(/bulkhead\.maxInFlight/);
    expect(bad({ maxInFlight: 2, queue: 4 })).toContain(
      'bulkhead.queueWaitMs: a queue of 4 needs queueWaitMs, how long a request may wait for a slot',
    );
    expect(bad({ maxInFlight: 2, queueWaitMs: 100 })).toContain(
      'bulkhead.queueWaitMs: queueWaitMs without a queue',
    );
    expect(bad({ maxInFlight: 2, burst: 3 })).toMatch(/burst/);
  });

  it('is refused in a route table with PROXY_ERR_ROUTE_FILE_INVALID naming the route field', () => {
    const table = (bulkhead: unknown) =>
      buildRouteTable(
        {
          legacy: 'http://127.0.0.1:3000',
          routes: [
            { id: 'writes', methods: ['POST'], paths: ['/products'], new: 'http://127.0.0.1:3101', bulkhead },
          ],
        },
        1024,
      );
    expect(table({ maxInFlight: 4, queue: 8, queueWaitMs: 250 }).routes[0]!.bulkhead).toEqual({
      maxInFlight: 4,
      queue: 8,
      queueWaitMs: 250,
      retryAfterS: 1,
    });
    expect(() => table({ maxInFlight: -1 })).toThrow(/routes\[0\]\.bulkhead\.maxInFlight/);
    expect(() => table({ maxInFlight: 1, queue: 2 })).toThrow(
      expect.objectContaining({
        code: 'PROXY_ERR_ROUTE_FILE_INVALID',
        message: expect.stringContaining('routes[0].bulkhead.queueWaitMs: a queue of 2 needs queueWaitMs'),
      }),
    );
    expect(buildRouteTable({ legacy: 'http://127.0.0.1:3000', routes: [] }, 1).routes).toEqual([]);
  });

  it('is kept per route id across route table reloads, with its requests in flight', () => {
    const table = (maxInFlight: number) =>
      buildRouteTable(
        {
          legacy: 'http://127.0.0.1:3000',
          routes: [
            {
              id: 'writes',
              methods: ['POST'],
              paths: ['/p'],
              new: 'http://127.0.0.1:3101',
              bulkhead: { maxInFlight },
            },
          ],
        },
        1024,
      ).routes[0]!;
    const registry = new RouteBulkheads();
    const first = registry.for(table(2));
    const held = enterMany(first, 2);
    const reloaded = registry.for(table(3));
    expect(reloaded).toBe(first);
    expect(reloaded.inFlight).toBe(2);
    expect(enterMany(reloaded, 2).map((p) => p.state)).toEqual(['admitted', 'full']);
    reloaded.leave(held[0]!);
    expect(reloaded.inFlight).toBe(2);
  });
});
