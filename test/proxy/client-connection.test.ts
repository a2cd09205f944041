import { createHash } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';

/**
 * The proxy's client connections at the byte level: keep-alive, pipelining, split heads,
 * Connection: close, HTTP/1.0, HEAD, chunked and body-less answers, bad input after a good
 * request, request bodies, 100-continue, Host games and response header fidelity. Everything
 * goes over raw net sockets, so no client library normalises or re-frames a byte. Plain
 * requests are served by the fast path (strangler-proxy/front/) and everything else by
 * node:http after a hand-over, so most cases here cross from one to the other on one
 * connection: the answers must look the same either way.
 */
const TARGET = 'x-strangler-target';
let rig: ProxyRig;

beforeAll(async () => {
  rig = await startProxyRig({
    routes: ({ legacy, next }) => ({
      legacy: legacy.url,
      routes: [
        {
          id: 'products',
          methods: ['GET', 'HEAD', 'POST'],
          paths: ['/products', '/products/:id'],
          new: next.url,
          // no shadow traffic to legacy: the upstreams' request logs show only what the client sent
          compare: { enabled: false },
        },
      ],
    }),
    flags: { 'strangler.products': { mode: 'new', percent: 100 } },
  });
});
afterAll(() => rig?.stop());

type Echo = {
  upstream: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  bodyBytes: number;
  bodySha256: string | null;
};

interface RawResponse {
  version: string;
  status: number;
  /** Header lines as sent: names keep their case, in order. */
  headers: [string, string][];
  body: Buffer;
  /** The first header of that name (any case), or undefined. */
  header(name: string): string | undefined;
  echo(): Echo;
}

/**
 * One raw TCP connection to the proxy. `read(n)` returns the next n responses, framed the way a
 * client must: no body for HEAD (caller says so), 1xx, 204 and 304; else chunked, else
 * Content-Length, else until the connection closes. A byte stream that does not start with a
 * status line where a response should start fails the read (broken framing).
 */
class RawConnection {
  #buf = Buffer.alloc(0);
  #ended = false;
  #wake: (() => void) | undefined;
  readonly closed: Promise<void>;

  private constructor(private readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.#buf = Buffer.concat([this.#buf, chunk]);
      this.#wake?.();
    });
    socket.on('error', () => {}); // a reset shows up as 'close'
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.#ended = true;
        this.#wake?.();
        resolve();
      }),
    );
  }

  static async open(): Promise<RawConnection> {
    const socket = net.connect(rig.proxy.port, '127.0.0.1');
    socket.setNoDelay(true);
    await once(socket, 'connect');
    return new RawConnection(socket);
  }

  write(bytes: string | Buffer): void {
    this.socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  }

  /** Writes a request, then reads its response (the usual one-at-a-time exchange). */
  async send(request: string, options: { head?: boolean } = {}): Promise<RawResponse> {
    this.write(request);
    return (await this.read(1, options))[0]!;
  }

  async read(count = 1, { head = false, timeoutMs = 5000 } = {}): Promise<RawResponse[]> {
    const deadline = Date.now() + timeoutMs;
    const out: RawResponse[] = [];
    while (out.length < count) {
      const parsed = this.#parseOne(head);
      if (parsed) {
        out.push(parsed.response);
        this.#buf = this.#buf.subarray(parsed.consumed);
        continue;
      }
      if (this.#ended) throw new Error(`connection closed after ${out.length}/${count} responses`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out after ${out.length}/${count} responses; pending: ${this.pendingText()}`);
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
      this.#wake = undefined;
    }
    return out;
  }

  /** Bytes received but not (yet) part of a read response. */
  pendingText(): string {
    return JSON.stringify(this.#buf.toString('latin1'));
  }
  get pendingBytes(): number {
    return this.#buf.length;
  }

  /** Whether the proxy closed the connection within `ms`. */
  closedWithin(ms: number): Promise<boolean> {
    return Promise.race([this.closed.then(() => true), sleep(ms).then(() => false)]);
  }

  destroy(): void {
    this.socket.destroy();
  }

  #parseOne(head: boolean): { response: RawResponse; consumed: number } | undefined {
    const buf = this.#buf;
    if (buf.length === 0) return undefined;
    if (!'HTTP/'.startsWith(buf.subarray(0, 5).toString('latin1')))
      throw new Error(`expected a status line, got ${this.pendingText()}`);
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd === -1) return undefined;
    const [statusLine, ...lines] = buf.subarray(0, headEnd).toString('latin1').split('\r\n');
    const m = /^HTTP\/(\d\.\d) (\d{3})(?: .*)?$/.exec(statusLine!);
    if (!m) throw new Error(`bad status line ${JSON.stringify(statusLine)}`);
    const headers = lines.map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon), line.slice(colon + 1).trim()];
    });
    const header = (name: string) => headers.find(([n]) => n.toLowerCase() === name)?.[1];
    const status = Number(m[2]);
    const bodyAt = headEnd + 4;
    let body: Buffer;
    let consumed: number;
    if (head || (status >= 100 && status < 200) || status === 204 || status === 304) {
      body = Buffer.alloc(0);
      consumed = bodyAt;
    } else if (header('transfer-encoding')?.toLowerCase() === 'chunked') {
      const chunks: Buffer[] = [];
      let at = bodyAt;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', at);
        if (lineEnd === -1) return undefined;
        const size = Number.parseInt(buf.subarray(at, lineEnd).toString('latin1').split(';')[0]!, 16);
        if (Number.isNaN(size)) throw new Error(`bad chunk size at ${at}: ${this.pendingText()}`);
        at = lineEnd + 2;
        if (size === 0) break;
        if (buf.length < at + size + 2) return undefined;
        chunks.push(buf.subarray(at, at + size));
        at += size + 2;
      }
      for (;;) {
        // trailer section, ended by an empty line
        const lineEnd = buf.indexOf('\r\n', at);
        if (lineEnd === -1) return undefined;
        const empty = lineEnd === at;
        at = lineEnd + 2;
        if (empty) break;
      }
      body = Buffer.concat(chunks);
      consumed = at;
    } else if (header('content-length') !== undefined) {
      const length = Number(header('content-length'));
      if (buf.length < bodyAt + length) return undefined;
      body = buf.subarray(bodyAt, bodyAt + length);
      consumed = bodyAt + length;
    } else {
      if (!this.#ended) return undefined; // delimited by the connection's end
      body = buf.subarray(bodyAt);
      consumed = buf.length;
    }
    const response: RawResponse = {
      version: m[1]!,
      status,
      headers,
      body: Buffer.from(body),
      header,
      echo: () => JSON.parse(response.body.toString('utf8')) as Echo,
    };
    return { response, consumed };
  }
}

/** Runs `fn` on a fresh connection and always destroys it afterwards. */
async function withConnection<T>(fn: (c: RawConnection) => Promise<T>): Promise<T> {
  const c = await RawConnection.open();
  try {
    return await fn(c);
  } finally {
    c.destroy();
  }
}

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: shop.example\r\n${extra}\r\n`;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Neither upstream ever saw a request whose URL carries `marker`. */
async function expectNeverForwarded(marker: string): Promise<void> {
  await sleep(150);
  const all = [...(await rig.legacy.requests()), ...(await rig.next.requests())];
  expect(all.filter((q) => q.url.includes(marker))).toEqual([]);
}

describe('persistent connections', () => {
  it('keeps one connection open across three sequential requests', () =>
    withConnection(async (c) => {
      for (const id of [1, 2, 3]) {
        const r = await c.send(get(`/products/${id}`));
        expect(r.status).toBe(200);
        expect(r.header('connection')?.toLowerCase()).toBe('keep-alive');
        expect(r.echo()).toMatchObject({ upstream: 'new', method: 'GET', url: `/products/${id}` });
      }
      expect(await c.closedWithin(300)).toBe(false);
    }));

  it('answers pipelined requests in order, each framed by its Content-Length', () =>
    withConnection(async (c) => {
      c.write(get('/products/1') + get('/products/2'));
      const two = await c.read(2);
      expect(two.map((r) => r.status)).toEqual([200, 200]);
      expect(two.map((r) => r.echo().url)).toEqual(['/products/1', '/products/2']);
      for (const r of two) expect(r.body.length).toBe(Number(r.header('content-length')));

      const ids = [1, 2, 3, 4, 5];
      c.write(ids.map((id) => get(`/products/${id}`)).join(''));
      const five = await c.read(5);
      expect(five.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
      expect(five.map((r) => r.echo().url)).toEqual(ids.map((id) => `/products/${id}`));
      await sleep(100);
      expect(c.pendingBytes).toBe(0); // nothing beyond the five framed answers
      expect(await c.closedWithin(100)).toBe(false);
    }));

  it('answers requests that arrive while an earlier answer is still on its way, in order', () =>
    withConnection(async (c) => {
      // each request in its own write, the first one slow: the later ones wait their turn
      c.write(get('/products/1', 'X-Test-Delay-Ms: 300\r\n'));
      await sleep(60);
      c.write(get('/products/2'));
      await sleep(30);
      c.write(
        'POST /products HTTP/1.1\r\nHost: shop.example\r\nContent-Length: 5\r\n\r\nhello' +
          get('/products/3'),
      );
      const answers = await c.read(3);
      expect(answers.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(answers.map((r) => `${r.echo().method} ${r.echo().url} ${r.echo().bodyBytes}`)).toEqual([
        'GET /products/1 0',
        'GET /products/2 0',
        'POST /products 5',
      ]);
      const [last] = await c.read(1);
      expect(last!.echo().url).toBe('/products/3');
      expect(await c.closedWithin(100)).toBe(false);
    }));

  it('serves a split head that follows plain requests on the same connection', () =>
    withConnection(async (c) => {
      expect((await c.send(get('/products/1'))).status).toBe(200);
      const request = get('/products/8');
      c.write(request.slice(0, 12));
      await sleep(50);
      c.write(request.slice(12));
      const [r] = await c.read(1);
      expect(r!.echo().url).toBe('/products/8');
      expect((await c.send(get('/products/9'))).echo().url).toBe('/products/9');
    }));

  it('assembles a request head split across writes', async () => {
    const request = get('/products/7');
    // first 10 bytes | rest; and a split inside the final CRLFCRLF
    for (const cut of [10, request.length - 2]) {
      await withConnection(async (c) => {
        c.write(request.slice(0, cut));
        await sleep(50);
        c.write(request.slice(cut));
        const [r] = await c.read(1);
        expect(r!.status, `cut at ${cut}`).toBe(200);
        expect(r!.echo().url).toBe('/products/7');
      });
    }
  });

  it('closes after answering a request with Connection: close', () =>
    withConnection(async (c) => {
      const r = await c.send(get('/products/1', 'Connection: close\r\n'));
      expect(r.status).toBe(200);
      expect(r.header('connection')?.toLowerCase()).toBe('close');
      expect(r.echo().url).toBe('/products/1');
      expect(await c.closedWithin(1000)).toBe(true);
    }));

  it('closes after answering an HTTP/1.0 request without keep-alive', () =>
    withConnection(async (c) => {
      const r = await c.send('GET /products/4 HTTP/1.0\r\n\r\n');
      expect(r.status).toBe(200);
      expect(r.header('connection')?.toLowerCase()).toBe('close');
      expect(r.echo()).toMatchObject({ upstream: 'new', url: '/products/4' });
      expect(await c.closedWithin(1000)).toBe(true);
    }));
});

describe('response framing', () => {
  it('answers HEAD with the headers GET would send and no body bytes', () =>
    withConnection(async (c) => {
      const g = await c.send(get('/products/1'));
      const h = await c.send('HEAD /products/1 HTTP/1.1\r\nHost: shop.example\r\n\r\n', { head: true });
      expect(h.status).toBe(200);
      expect(h.body.length).toBe(0);
      // the upstream's echo of a HEAD says "HEAD" where GET's says "GET": one byte longer
      expect(Number(h.header('content-length'))).toBe(Number(g.header('content-length')) + 1);
      expect(h.header('x-upstream')).toBe('new');
      expect(h.header(TARGET)).toBe('new');
      await sleep(100);
      expect(c.pendingBytes).toBe(0);
      // the next response starts right after HEAD's head: framing is intact
      const after = await c.send(get('/products/2'));
      expect(after.status).toBe(200);
      expect(after.echo().url).toBe('/products/2');
    }));

  it('re-frames an upstream answer without Content-Length as chunked, and keeps the connection', () =>
    withConnection(async (c) => {
      const r = await c.send(get('/products/3', 'X-Test-Chunked: 1\r\n'));
      expect(r.status).toBe(200);
      expect(r.header('transfer-encoding')?.toLowerCase()).toBe('chunked');
      expect(r.header('content-length')).toBeUndefined();
      expect(r.echo()).toMatchObject({ upstream: 'new', url: '/products/3' });
      expect(r.echo().headers['x-test-chunked']).toBe('1');
      const next = await c.send(get('/products/4'));
      expect(next.status).toBe(200);
      expect(next.echo().url).toBe('/products/4');
      expect(await c.closedWithin(100)).toBe(false);
    }));

  it('delimits such an answer by closing the connection for an HTTP/1.0 client', () =>
    withConnection(async (c) => {
      c.write('GET /products/3 HTTP/1.0\r\nHost: shop.example\r\nX-Test-Chunked: 1\r\n\r\n');
      const [r] = await c.read(1);
      expect(r!.status).toBe(200);
      expect(r!.header('transfer-encoding')).toBeUndefined();
      expect(r!.header('connection')?.toLowerCase()).toBe('close');
      expect(r!.echo().url).toBe('/products/3');
    }));

  for (const status of [204, 304]) {
    it(`passes an upstream ${status} on with no body and keeps the connection usable`, () =>
      withConnection(async (c) => {
        const r = await c.send(get('/products/5', `X-Test-Status: ${status}\r\n`));
        expect(r.status).toBe(status);
        expect(r.header(TARGET)).toBe('new');
        await sleep(100);
        expect(c.pendingBytes).toBe(0); // no body bytes after the head
        const next = await c.send(get('/products/6'));
        expect(next.status).toBe(200);
        expect(next.echo().url).toBe('/products/6');
      }));
  }

  it('keeps the upstream response headers in their case and order, with Date and the target header', () =>
    withConnection(async (c) => {
      const r = await c.send(get('/products/8'));
      expect(r.version).toBe('1.1');
      expect(r.status).toBe(200);
      // the test upstream writes these lower-case names, and node adds `Date`; the proxy adds the
      // target header after them (and its own Connection, wherever it puts it)
      const names = r.headers.map(([n]) => n).filter((n) => n.toLowerCase() !== 'connection');
      expect(names).toEqual(['content-type', 'content-length', 'x-upstream', 'Date', TARGET]);
      expect(r.header('x-upstream')).toBe('new');
      expect(r.header(TARGET)).toBe('new');
      expect(r.header('connection')?.toLowerCase()).toBe('keep-alive');
      const date = Date.parse(r.header('date')!);
      expect(Math.abs(Date.now() - date)).toBeLessThan(10_000);
    }));
});

describe('request bodies', () => {
  it('forwards a POST body that follows a GET on the same connection', () =>
    withConnection(async (c) => {
      const first = await c.send(get('/products/1'));
      expect(first.echo().url).toBe('/products/1');
      const body = '{"name":"teapot","price":12}';
      const post = (path: string) =>
        `POST ${path} HTTP/1.1\r\nHost: shop.example\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\n\r\n${body}`;
      const routed = await c.send(post('/products'));
      expect(routed.status).toBe(200);
      expect(routed.echo()).toMatchObject({
        upstream: 'new',
        method: 'POST',
        url: '/products',
        bodyBytes: body.length,
        bodySha256: sha256(body),
      });
      // an unmatched path goes to legacy, body and all
      const unmatched = await c.send(post('/orders/9'));
      expect(unmatched.echo()).toMatchObject({
        upstream: 'legacy',
        url: '/orders/9',
        bodyBytes: body.length,
      });
      // and the same three pipelined in one write: the body bytes must not bleed into the next head
      c.write(get('/products/2') + post('/products') + get('/products/3'));
      const three = await c.read(3);
      expect(three.map((r) => [r.status, r.echo().method, r.echo().url, r.echo().bodyBytes])).toEqual([
        [200, 'GET', '/products/2', 0],
        [200, 'POST', '/products', body.length],
        [200, 'GET', '/products/3', 0],
      ]);
    }));

  it('sends 100 Continue before the body of an Expect: 100-continue request', () =>
    withConnection(async (c) => {
      const body = 'x'.repeat(300);
      c.write(
        `POST /products HTTP/1.1\r\nHost: shop.example\r\nContent-Length: ${body.length}\r\n` +
          'Expect: 100-continue\r\n\r\n',
      );
      const [cont] = await c.read(1); // before any body byte was sent
      expect(cont!.status).toBe(100);
      expect(cont!.body.length).toBe(0);
      c.write(body);
      const [r] = await c.read(1);
      expect(r!.status).toBe(200);
      const echo = r!.echo();
      expect(echo).toMatchObject({
        method: 'POST',
        url: '/products',
        bodyBytes: 300,
        bodySha256: sha256(body),
      });
      expect(echo.headers.expect).toBeUndefined(); // the proxy answered it; not forwarded
    }));
});

describe('bad input', () => {
  it('answers garbage after a good request with 400 and closes, leaving the first answer intact', async () => {
    for (const bad of [
      'GET /x HTTP/1.1\r\nHost: shop.example\r\nBad Header\r\n\r\n',
      'GET /x HTTP/1.1\r\nHost: shop.example\r\nX-Nul: a\0b\r\n\r\n',
    ]) {
      await withConnection(async (c) => {
        const good = await c.send(get('/products/1'));
        expect(good.status).toBe(200);
        expect(good.echo().url).toBe('/products/1');
        const r = await c.send(bad);
        expect(r.status, JSON.stringify(bad)).toBe(400);
        expect(r.header('connection')?.toLowerCase()).toBe('close');
        expect(r.body.toString()).toContain('PROXY_ERR_MALFORMED_REQUEST');
        expect(await c.closedWithin(1000)).toBe(true);
      });
    }
  });

  it('answers HTTP/1.1 without Host with 400 and closes, forwarding nothing', () =>
    withConnection(async (c) => {
      const marker = `nohost${Date.now()}`;
      const r = await c.send(`GET /products/1?${marker} HTTP/1.1\r\n\r\n`);
      expect(r.status).toBe(400);
      expect(r.header('connection')?.toLowerCase()).toBe('close');
      expect(await c.closedWithin(1000)).toBe(true);
      await expectNeverForwarded(marker);
    }));

  it('serves duplicate Host headers from the configured upstream (the last Host is the forwarded host)', () =>
    withConnection(async (c) => {
      // node:http accepts a repeated Host; what pins it is that Host never picks the upstream
      const r = await c.send('GET /products/1 HTTP/1.1\r\nHost: shop.example\r\nHost: evil.example\r\n\r\n');
      expect(r.status).toBe(200);
      const echo = r.echo();
      expect(echo.upstream).toBe('new');
      expect(echo.headers.host).toBe(rig.next.url.slice('http://'.length));
      expect(echo.headers['x-forwarded-host']).toBe('evil.example');
      expect(await c.closedWithin(100)).toBe(false);
    }));

  it('refuses an absolute-form target with 400 and keeps the connection usable', () =>
    withConnection(async (c) => {
      const marker = `abs${Date.now()}`;
      const r = await c.send(
        `GET http://evil.example/products/1?${marker} HTTP/1.1\r\nHost: evil.example\r\n\r\n`,
      );
      expect(r.status).toBe(400);
      expect(r.body.toString()).toContain('PROXY_ERR_BAD_REQUEST_TARGET');
      expect(r.header('connection')?.toLowerCase()).toBe('keep-alive');
      const next = await c.send(get('/products/2'));
      expect(next.echo().url).toBe('/products/2');
      await expectNeverForwarded(marker);
    }));

  it('answers a lower-case method with 400 and closes', () =>
    withConnection(async (c) => {
      const r = await c.send('get /products/1 HTTP/1.1\r\nHost: shop.example\r\n\r\n');
      expect(r.status).toBe(400);
      expect(r.body.toString()).toContain('PROXY_ERR_MALFORMED_REQUEST');
      expect(await c.closedWithin(1000)).toBe(true);
    }));
});
