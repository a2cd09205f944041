import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { type UpstreamHandler, UpstreamPool, type UpstreamRequest } from './upstream-pool.ts';

interface Result {
  status: number;
  headers: string[];
  body: string;
}

function send(pool: UpstreamPool, request: Partial<UpstreamRequest>): Promise<Result> {
  return new Promise((resolve, reject) => {
    let status = 0;
    let headers: string[] = [];
    const chunks: Buffer[] = [];
    const handler: UpstreamHandler = {
      onConnect() {},
      onHeaders(s, h) {
        status = s;
        headers = h;
        return true;
      },
      onData(chunk) {
        chunks.push(Buffer.from(chunk));
        return true;
      },
      onComplete() {
        resolve({ status, headers, body: Buffer.concat(chunks).toString() });
      },
      onError: reject,
    };
    pool.dispatch(
      {
        method: 'GET',
        path: '/',
        headers: [],
        body: null,
        headersTimeout: 5000,
        bodyTimeout: 5000,
        ...request,
      },
      handler,
    );
  });
}

const closers: (() => unknown)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

async function listen(server: net.Server): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => {
    (server as http.Server).closeAllConnections?.();
    server.close();
  });
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

function poolFor(origin: string, connections = 4): UpstreamPool {
  const pool = new UpstreamPool(origin, { connections, connectTimeoutMs: 1000 });
  closers.push(() => pool.destroy());
  return pool;
}

describe('upstream pool (own HTTP/1.1 client)', () => {
  it('keeps connections alive, caps them, and queues the rest in order', async () => {
    const sockets = new Set<net.Socket>();
    let inFlight = 0;
    let most = 0;
    const server = http.createServer((req, res) => {
      sockets.add(req.socket);
      inFlight++;
      most = Math.max(most, inFlight);
      setTimeout(() => {
        inFlight--;
        res.end(`${req.method} ${req.url} host=${req.headers.host} x=${req.headers['x-test']}`);
      }, 10);
    });
    const origin = await listen(server);
    const pool = poolFor(origin, 2);
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        send(pool, { path: `/n/${i}?q=1`, headers: ['x-test', String(i)] }),
      ),
    );
    expect(answers.map((a) => a.body)).toEqual(
      Array.from({ length: 10 }, (_, i) => `GET /n/${i}?q=1 host=${new URL(origin).host} x=${i}`),
    );
    expect(most).toBe(2);
    expect(sockets.size).toBe(2);
    await send(pool, {});
    expect(sockets.size).toBe(2);
  });

  it('streams a request body with its length, or chunked without one', async () => {
    const server = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c);
      res.end(
        `${req.headers['content-length'] ?? '-'} ${req.headers['transfer-encoding'] ?? '-'} ${Buffer.concat(chunks)}`,
      );
    });
    const pool = poolFor(await listen(server));
    const withLength = await send(pool, {
      method: 'POST',
      headers: ['content-length', '10'],
      body: Readable.from([Buffer.from('hello'), Buffer.from('world')]),
    });
    expect(withLength.body).toBe('10 - helloworld');
    const chunked = await send(pool, {
      method: 'POST',
      body: Readable.from([Buffer.from('ab'), Buffer.from('cd')]),
    });
    expect(chunked.body).toBe('- chunked abcd');
    await expect(
      send(pool, {
        method: 'POST',
        headers: ['content-length', '3'],
        body: Readable.from([Buffer.from('toolong')]),
      }),
    ).rejects.toMatchObject({ code: 'UPSTREAM_REQUEST_BODY_LENGTH' });
  });

  it('sends an idempotent request again when a kept-alive connection turns out closed, and only then', async () => {
    // a server that answers one request per connection without saying Connection: close,
    // then closes: the next request on that pooled connection meets a dead socket
    let connections = 0;
    const server = net.createServer((socket) => {
      connections++;
      socket.once('data', () => {
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
      });
    });
    const pool = poolFor(await listen(server), 1);
    expect((await send(pool, {})).body).toBe('ok');
    await new Promise((r) => setTimeout(r, 50)); // the close reaches the pool: it drops the socket
    expect((await send(pool, {})).body).toBe('ok');
    expect(connections).toBe(2);

    // the close races the reuse: the upstream drops a kept-alive connection as the next
    // request arrives on it, without answering
    let racyConnections = 0;
    const racy = net.createServer((socket) => {
      racyConnections++;
      let requests = 0;
      socket.on('data', () => {
        if (++requests === 1) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
        else socket.destroy();
      });
    });
    const racyPool = poolFor(await listen(racy), 1);
    expect((await send(racyPool, {})).body).toBe('ok');
    expect((await send(racyPool, {})).body).toBe('ok'); // sent again on a new connection
    expect(racyConnections).toBe(2);
    // a POST may have been received: it is never sent twice
    await expect(send(racyPool, { method: 'POST' })).rejects.toMatchObject({
      code: expect.stringMatching(/^(UPSTREAM_CLOSED|ECONNRESET)$/),
    });
    expect(racyConnections).toBe(2);
  });

  it('names refused connections, head and body timeouts, and bad responses', async () => {
    const closed = net.createServer();
    const deadOrigin = await listen(closed);
    closed.close();
    await expect(send(poolFor(deadOrigin), {})).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    // a refused connection has read nothing of the body: the proxy can still send it elsewhere
    const body = Readable.from([Buffer.from('kept '), Buffer.from('whole')]);
    await expect(send(poolFor(deadOrigin), { method: 'POST', body })).rejects.toMatchObject({
      code: 'ECONNREFUSED',
    });
    const rest: Buffer[] = [];
    for await (const c of body) rest.push(c);
    expect(Buffer.concat(rest).toString()).toBe('kept whole');

    const slow = http.createServer((req, res) => {
      if (req.url === '/slow-head') setTimeout(() => res.end('late'), 1000);
      else {
        res.writeHead(200, { 'content-length': '10' });
        res.write('12345');
        setTimeout(() => res.end('67890'), 1000);
      }
    });
    const slowPool = poolFor(await listen(slow));
    await expect(send(slowPool, { path: '/slow-head', headersTimeout: 100 })).rejects.toMatchObject({
      code: 'UPSTREAM_HEADERS_TIMEOUT',
    });
    await expect(send(slowPool, { path: '/slow-body', bodyTimeout: 100 })).rejects.toMatchObject({
      code: 'UPSTREAM_BODY_TIMEOUT',
    });
    // once the head is in, the body timeout rules: a short head timeout does not cut a body
    // whose pieces keep within the body timeout
    await expect(
      send(slowPool, { path: '/slow-body', headersTimeout: 300, bodyTimeout: 3000 }),
    ).resolves.toMatchObject({ status: 200, body: '1234567890' });

    const liar = net.createServer((socket) =>
      socket.once('data', () =>
        socket.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n'),
      ),
    );
    await expect(send(poolFor(await listen(liar)), {})).rejects.toMatchObject({
      code: 'UPSTREAM_BAD_RESPONSE',
      message: expect.stringMatching(/both content-length and transfer-encoding/),
    });
    const short = net.createServer((socket) =>
      socket.once('data', () => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 50\r\n\r\nonly this')),
    );
    await expect(send(poolFor(await listen(short)), {})).rejects.toMatchObject({ code: 'UPSTREAM_CLOSED' });
  });

  it('does not reuse a connection whose response came before the request body was sent', async () => {
    const sockets = new Set<net.Socket>();
    const server = http.createServer((req, res) => {
      sockets.add(req.socket);
      if (req.url === '/early') {
        res.writeHead(413, { 'content-length': '4' });
        res.end('full');
        return;
      }
      req.resume();
      req.on('end', () => res.end('fine'));
    });
    const pool = poolFor(await listen(server), 1);
    const endless = new Readable({ read() {} });
    endless.push(Buffer.alloc(1024));
    const early = await send(pool, { method: 'POST', path: '/early', body: endless });
    expect(early).toMatchObject({ status: 413, body: 'full' });
    expect((await send(pool, { path: '/after' })).body).toBe('fine');
    expect(sockets.size).toBe(2);
  });
});
