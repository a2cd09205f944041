import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { buildRouteTable } from '../routes/route-table.ts';
import { clientKey, createRateLimitCheck, type RateLimitSpec, rateLimitMessage } from './rate-limit.ts';

/**
 * The module itself, with the library's real in-process store ('memory'). The proxy's request
 * path, the 429 on the wire, the metrics and the 'cluster' store across workers are tested
 * through real processes in test/proxy/rate-limit.test.ts.
 */
const table = (rateLimit: unknown) => ({
  legacy: 'http://127.0.0.1:3000',
  routes: [
    { id: 'products', methods: ['GET'], paths: ['/products'], new: 'http://127.0.0.1:3101', rateLimit },
  ],
});

const specOf = (rateLimit: unknown): RateLimitSpec =>
  buildRouteTable(table(rateLimit), 1024).routes[0]!.spec.rateLimit!;

const alice = { userId: 'alice', address: '10.0.0.1' };
const bob = { userId: 'bob', address: '10.0.0.1' };

describe('rate limit config', () => {
  it('fills the key with "user" and keeps both windows', () => {
    expect(
      specOf({ perClient: { points: 3, durationMs: 1000 }, perRoute: { points: 9, durationMs: 2000 } }),
    ).toEqual({
      key: 'user',
      perClient: { points: 3, durationMs: 1000 },
      perRoute: { points: 9, durationMs: 2000 },
    });
  });

  it('a route without rateLimit has none (the request path skips the check)', () => {
    expect(buildRouteTable(table(undefined), 1024).routes[0]!.spec.rateLimit).toBeUndefined();
  });

  it.each([
    [{}, 'routes[0].rateLimit: needs perClient, perRoute or both'],
    [{ perClient: { points: 0, durationMs: 1000 } }, 'routes[0].rateLimit.perClient.points: a whole number'],
    [
      { perClient: { points: 1.5, durationMs: 1000 } },
      'routes[0].rateLimit.perClient.points: a whole number',
    ],
    [
      { perRoute: { points: 5, durationMs: 50 } },
      'routes[0].rateLimit.perRoute.durationMs: the window in whole',
    ],
    [{ perRoute: { points: 5 } }, 'routes[0].rateLimit.perRoute.durationMs: the window in whole'],
    [{ perRoute: { points: '5', durationMs: 1000 } }, 'routes[0].rateLimit.perRoute.points: a whole number'],
    [{ key: 'ip', perClient: { points: 5, durationMs: 1000 } }, 'routes[0].rateLimit.key: "user"'],
    [{ perclient: { points: 5, durationMs: 1000 } }, 'routes[0].rateLimit: Unrecognized key: "perclient"'],
    [
      { perClient: { points: 5, durationMs: 1000, burst: 2 } },
      'routes[0].rateLimit.perClient: Unrecognized key',
    ],
  ])('refuses %j naming the route and field', (rateLimit, message) => {
    expect(() => buildRouteTable(table(rateLimit), 1024)).toThrow(
      expect.objectContaining({
        code: 'PROXY_ERR_ROUTE_FILE_INVALID',
        message: expect.stringMatching(new RegExp(`${regexEscape(message)}.*\\(route "products"\\)`)),
      }),
    );
  });
});

describe('createRateLimitCheck (memory store)', () => {
  it('lets exactly `points` through per client per window, then says why and when to retry', async () => {
    const check = createRateLimitCheck('memory');
    const limit = specOf({ perClient: { points: 3, durationMs: 5000 } });
    const verdicts = [];
    for (let i = 0; i < 5; i++) verdicts.push(await check('products', limit, alice));
    expect(verdicts.filter((v) => !v.limited)).toHaveLength(3);
    const refused = verdicts.slice(3);
    for (const v of refused) expect(v).toEqual({ limited: true, reason: 'per-client', retryAfterSeconds: 5 });
    expect(rateLimitMessage('products', limit, refused[0] as never)).toBe(
      'route "products" is over its per-client rate limit of 3 requests per 5000 ms; retry after 5 s',
    );
    // another user on the same address has its own counter
    expect(await check('products', limit, bob)).toEqual({ limited: false, unchecked: false });
  });

  it('opens a new window once the last one is over', async () => {
    const check = createRateLimitCheck('memory');
    const limit = specOf({ perClient: { points: 1, durationMs: 300 } });
    expect((await check('products', limit, alice)).limited).toBe(false);
    expect(await check('products', limit, alice)).toMatchObject({ limited: true, retryAfterSeconds: 1 });
    await sleep(350);
    expect((await check('products', limit, alice)).limited).toBe(false);
  });

  it('the per-route limit counts every client; a client over its own limit does not spend it', async () => {
    const check = createRateLimitCheck('memory');
    const limit = specOf({
      perClient: { points: 1, durationMs: 5000 },
      perRoute: { points: 3, durationMs: 5000 },
    });
    expect((await check('products', limit, alice)).limited).toBe(false);
    // alice's burst is refused by her own limit, before the route's budget is touched
    for (let i = 0; i < 5; i++)
      expect(await check('products', limit, alice)).toMatchObject({ reason: 'per-client' });
    expect((await check('products', limit, bob)).limited).toBe(false);
    expect((await check('products', limit, { userId: 'carol', address: '10.0.0.3' })).limited).toBe(false);
    expect(await check('products', limit, { userId: 'dave', address: '10.0.0.4' })).toMatchObject({
      limited: true,
      reason: 'per-route',
    });
  });

  it('an unchanged limit keeps its counters across a table reload; a changed one starts afresh', async () => {
    const check = createRateLimitCheck('memory');
    const raw = { perClient: { points: 1, durationMs: 5000 } };
    expect((await check('products', specOf(raw), alice)).limited).toBe(false);
    expect((await check('products', specOf(raw), alice)).limited).toBe(true);
    expect(
      (await check('products', specOf({ perClient: { points: 2, durationMs: 5000 } }), alice)).limited,
    ).toBe(false);
  });

  it('keys a client by user id, else address; "address" ignores the user id', () => {
    const byUser = specOf({ perClient: { points: 1, durationMs: 1000 } });
    const byAddress = specOf({ key: 'address', perClient: { points: 1, durationMs: 1000 } });
    expect(clientKey(byUser, alice)).toBe('u:alice');
    expect(clientKey(byUser, { userId: undefined, address: '10.0.0.9' })).toBe('a:10.0.0.9');
    expect(clientKey(byAddress, alice)).toBe('a:10.0.0.1');
    expect(clientKey(byAddress, bob)).toBe('a:10.0.0.1');
  });
});

function regexEscape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
