import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/net.ts';
import {
  type FrontEnd,
  frontEnds,
  type ProxyRig,
  startProxyRig,
} from '../../strangler-proxy/testing/harness.ts';

/**
 * Per-route bulkheads through real processes: a proxy (and the Express gateway) in front of two test upstreams, bursts of
 * concurrent requests on their own connections. Every scenario that ends a request another way
 * (upstream error, timeout, refused connection, client hang-up, queued hang-up) is followed by a
 * burst of exactly maxInFlight slow requests, which all must be admitted: a leaked slot would
 * turn one of them into a 503.
 */
let rig: ProxyRig;
let deadPort: number;

async function startRig(frontEnd: FrontEnd): Promise<void> {
  deadPort = await freePort();
  rig = await startProxyRig({
    frontEnd,
    routes: ({ legacy, next }) => ({
      legacy: legacy.url,
      routes: [
        {
          id: 'writes',
          methods: ['POST'],
          paths: ['/products'],
          new: next.url,
          timeouts: { headersMs: 2000, bodyMs: 5000 },
          bulkhead: { maxInFlight: 3 },
          compare: { enabled: false },
        },
        {
          id: 'queued',
          methods: ['GET'],
          paths: ['/queued/:id'],
          new: next.url,
          bulkhead: { maxInFlight: 1, queue: 2, queueWaitMs: 1500, retryAfterS: 7 },
          compare: { enabled: false },
        },
        {
          id: 'dead',
          methods: ['GET'],
          paths: ['/dead'],
          legacy: `http://127.0.0.1:${deadPort}`,
          new: next.url,
          bulkhead: { maxInFlight: 2 },
          compare: { enabled: false },
        },
        {
          id: 'reads',
          methods: ['GET'],
          paths: ['/users/:id'],
          new: next.url,
          compare: { enabled: false },
        },
      ],
    }),
  });
}

interface Answer {
  status: number;
  retryAfter: string | null;
  code?: string;
}

async function send(method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  // each request on its own connection, as many clients would
  const res = await fetch(rig.proxy.url + path, {
    method,
    headers: { connection: 'close', ...headers },
    ...(method === 'POST' ? { body: '{"sku":"x"}' } : {}),
  });
  const text = await res.text();
  let code: string | undefined;
  try {
    code = JSON.parse(text).error?.code;
  } catch {}
  return { status: res.status, retryAfter: res.headers.get('retry-after'), code };
}

function burst(n: number, method: string, path: string, headers: Record<string, string> = {}) {
  return Promise.all(Array.from({ length: n }, () => send(method, path, headers)));
}

const statuses = (answers: Answer[]) =>
  answers.reduce<Record<number, number>>((acc, a) => {
    acc[a.status] = (acc[a.status] ?? 0) + 1;
    return acc;
  }, {});

async function bulkheadCounts(): Promise<Record<string, number>> {
  const stats = (await (await rig.proxy.admin('/stats')).json()) as {
    bulkhead: { route: string; event: string; count: number }[];
  };
  return Object.fromEntries(stats.bulkhead.map((b) => [`${b.route}:${b.event}`, b.count]));
}

/** maxInFlight slow requests at once: all admitted, or a slot leaked. */
async function expectAllSlotsFree(method: string, path: string, maxInFlight: number): Promise<void> {
  const answers = await burst(maxInFlight, method, path, { 'x-test-delay-ms': '300' });
  expect(statuses(answers)).toEqual({ 200: maxInFlight });
}

/** A request on a raw socket, reset once the proxy has taken it. */
async function hangingRequest(request: string): Promise<net.Socket> {
  const socket = net.connect(rig.proxy.port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise((resolve) => socket.once('connect', resolve));
  socket.write(request);
  return socket;
}

async function upstreamSaw(path: string, since: number): Promise<number> {
  const seen = await rig.legacy.requests();
  return seen.filter((r) => r.url === path && (r as unknown as { at: number }).at >= since).length;
}

// The standalone proxy, and the Express middleware in the example gateway (the same request path
// and the same limits/ modules).
describe.each(frontEnds)('per-route bulkheads, through the %s', (frontEnd) => {
  beforeAll(() => startRig(frontEnd));
  afterAll(() => rig?.stop());

  it('answers exactly the requests beyond maxInFlight with 503 and Retry-After, before the upstream', async () => {
    const since = Date.now();
    const before = await bulkheadCounts();
    const [answers, read] = await Promise.all([
      burst(10, 'POST', '/products', { 'x-test-delay-ms': '1500' }),
      // an unrelated route without a limit, during the burst
      sleep(150).then(() => send('GET', '/users/1')),
    ]);
    expect(statuses(answers)).toEqual({ 200: 3, 503: 7 });
    for (const a of answers.filter((x) => x.status === 503)) {
      expect(a.code).toBe('PROXY_ERR_ROUTE_BUSY');
      expect(a.retryAfter).toBe('1');
    }
    expect(read.status).toBe(200);
    expect(await upstreamSaw('/products', since)).toBe(3);
    const after = await bulkheadCounts();
    expect((after['writes:full'] ?? 0) - (before['writes:full'] ?? 0)).toBe(7);
    const metrics = await (await rig.proxy.admin('/metrics')).text();
    expect(metrics).toMatch(/strangler_proxy_bulkhead_total\{route="writes",event="full"\} \d+/);
    expect(metrics).toMatch(
      /strangler_proxy_requests_total\{route="writes",target="legacy",status="503"\} \d+/,
    );
    await expectAllSlotsFree('POST', '/products', 3);
  });

  it('queues within its bound, refuses beyond it, and refuses a wait over queueWaitMs', async () => {
    const before = await bulkheadCounts();
    // 1 in flight + 2 queued are served one after another (300 ms each); 3 more find the queue full
    const answers = await burst(6, 'GET', '/queued/1', { 'x-test-delay-ms': '300' });
    expect(statuses(answers)).toEqual({ 200: 3, 503: 3 });
    for (const a of answers.filter((x) => x.status === 503)) expect(a.retryAfter).toBe('7');
    // a slow one holds the slot past the queue's 1500 ms: both waiters are refused
    const slow = await burst(3, 'GET', '/queued/2', { 'x-test-delay-ms': '3000' });
    expect(statuses(slow)).toEqual({ 200: 1, 503: 2 });
    const after = await bulkheadCounts();
    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    expect(delta('queued:queued')).toBe(4);
    expect(delta('queued:queue-full')).toBe(3);
    expect(delta('queued:queue-timeout')).toBe(2);
    await expectAllSlotsFree('GET', '/queued/3', 1);
  });

  it('gives the slot back after an upstream error, a timeout and a refused connection', async () => {
    const errors = await burst(3, 'POST', '/products', { 'x-test-status': '500' });
    expect(statuses(errors)).toEqual({ 500: 3 });
    // headersMs is 2000: the upstream answering after 4 s is a 504
    const timeouts = await burst(3, 'POST', '/products', { 'x-test-delay-ms': '4000' });
    expect(statuses(timeouts)).toEqual({ 504: 3 });
    await expectAllSlotsFree('POST', '/products', 3);
    const refused = await burst(2, 'GET', '/dead');
    expect(statuses(refused)).toEqual({ 502: 2 });
    const again = await burst(2, 'GET', '/dead');
    expect(statuses(again)).toEqual({ 502: 2 }); // not 503: the failed ones hold nothing
  });

  it('gives the slot back when the client hangs up, in flight or queued', async () => {
    const inFlight = await Promise.all(
      Array.from({ length: 3 }, () =>
        hangingRequest(
          'POST /products HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\nx-test-delay-ms: 3000\r\n\r\n{}',
        ),
      ),
    );
    await sleep(300);
    for (const s of inFlight) s.resetAndDestroy();
    await sleep(200);
    await expectAllSlotsFree('POST', '/products', 3);

    // one holds the slot, two wait; the waiters hang up, then the holder
    const holder = await hangingRequest('GET /queued/4 HTTP/1.1\r\nhost: x\r\nx-test-delay-ms: 3000\r\n\r\n');
    await sleep(100);
    const waiters = await Promise.all(
      [1, 2].map(() => hangingRequest('GET /queued/5 HTTP/1.1\r\nhost: x\r\n\r\n')),
    );
    await sleep(100);
    for (const s of waiters) s.resetAndDestroy();
    await sleep(100);
    holder.resetAndDestroy();
    await sleep(200);
    const before = await bulkheadCounts();
    await expectAllSlotsFree('GET', '/queued/6', 1);
    // and the queue is empty again: two may wait behind a third
    expect(statuses(await burst(3, 'GET', '/queued/7', { 'x-test-delay-ms': '50' }))).toEqual({ 200: 3 });
    const after = await bulkheadCounts();
    expect((after['queued:queue-full'] ?? 0) - (before['queued:queue-full'] ?? 0)).toBe(0);
    const stats = (await (await rig.proxy.admin('/stats')).json()) as {
      routes: { route: string; target: string; byStatus: Record<string, number> }[];
    };
    const queuedLegacy = stats.routes.find((r) => r.route === 'queued' && r.target === 'legacy')!;
    expect(queuedLegacy.byStatus['499']).toBeGreaterThanOrEqual(3);
  });

  it('keeps the connection of a refused small POST and closes the one of a chunked POST', async () => {
    const holders = burst(3, 'POST', '/products', { 'x-test-delay-ms': '1500' });
    await sleep(400);
    const exchange = (socket: net.Socket, request: string) =>
      new Promise<string>((resolve) => {
        let got = '';
        const onData = (c: Buffer) => {
          got += c.toString('latin1');
          const head = got.indexOf('\r\n\r\n');
          const length = Number(/content-length: (\d+)/i.exec(got)?.[1] ?? -1);
          if (head >= 0 && length >= 0 && got.length >= head + 4 + length) {
            socket.off('data', onData);
            resolve(got);
          }
        };
        socket.on('data', onData);
        socket.write(request);
      });
    const socket = net.connect(rig.proxy.port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const refused = await exchange(
      socket,
      'POST /products HTTP/1.1\r\nhost: x\r\ncontent-length: 2\r\n\r\n{}',
    );
    expect(refused).toMatch(/^HTTP\/1\.1 503 /);
    expect(refused).toMatch(/retry-after: 1\r\n/i);
    expect(refused).not.toMatch(/connection: close/i);
    // the same connection serves the next request: the unread body was discarded, not parsed
    const next = await exchange(socket, 'GET /users/1 HTTP/1.1\r\nhost: x\r\n\r\n');
    expect(next).toMatch(/^HTTP\/1\.1 200 /);
    socket.destroy();

    const chunked = net.connect(rig.proxy.port, '127.0.0.1');
    await new Promise((resolve) => chunked.once('connect', resolve));
    const closed = new Promise((resolve) => chunked.once('close', resolve));
    const answer = await exchange(
      chunked,
      'POST /products HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n2\r\n{}\r\n',
    );
    expect(answer).toMatch(/^HTTP\/1\.1 503 /);
    expect(answer).toMatch(/connection: close/i);
    await closed;
    expect(statuses(await holders)).toEqual({ 200: 3 });
  });

  it('refuses a bad bulkhead on the admin API, naming the field', async () => {
    const res = await rig.proxy.admin('/routes/writes', {
      method: 'PUT',
      body: JSON.stringify({
        id: 'writes',
        methods: ['POST'],
        paths: ['/products'],
        new: rig.next.url,
        bulkhead: { maxInFlight: 0 },
      }),
    });
    expect(res.status).toBe(400);
    const body = await res.text();
    expect(body).toContain('PROXY_ERR_ROUTE_FILE_INVALID');
    expect(body).toContain('bulkhead.maxInFlight');
  });
});
