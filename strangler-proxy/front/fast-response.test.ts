import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientResponse } from '../respond.ts';
import { FastResponse } from './fast-response.ts';

/**
 * FastResponse must put on the wire what node's ServerResponse puts there for the same calls:
 * each case runs once through a node:http server and once through FastResponse on a plain
 * socket, and the bytes are compared (Date values aside).
 */
type Case = (res: ClientResponse) => void;
let current: { run: Case; keepAlive: boolean; head: boolean } | undefined;
let closedAfter: boolean | undefined;

const nodeServer = http.createServer({ keepAliveTimeout: 0 }, (_req, res) => current!.run(res));
const fastServer = net.createServer((socket) => {
  socket.once('data', () => {
    const owner = {
      responded(close: boolean) {
        closedAfter = close;
        socket.end();
      },
    };
    current!.run(new FastResponse(owner, socket, current!.head, current!.keepAlive));
  });
});

beforeAll(async () => {
  for (const server of [nodeServer, fastServer]) {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
  }
});
afterAll(() => {
  nodeServer.close();
  fastServer.close();
});

/** The raw answer to one request, read until `done` says it is complete or the peer closes. */
async function exchange(
  server: net.Server,
  request: string,
  done: (text: string) => boolean,
): Promise<string> {
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  let text = '';
  socket.on('data', (c: Buffer) => {
    text += c.toString('latin1');
    if (done(text)) socket.destroy();
  });
  socket.write(request);
  await once(socket, 'close');
  return text.replace(/^Date: .*\r\n/m, 'Date: <date>\r\n');
}

async function compare(
  run: Case,
  options: { method?: string; close?: boolean; done: (text: string) => boolean },
) {
  const method = options.method ?? 'GET';
  const request = `${method} / HTTP/1.1\r\nHost: a\r\n${options.close ? 'Connection: close\r\n' : ''}\r\n`;
  current = { run, keepAlive: !options.close, head: method === 'HEAD' };
  const fromNode = await exchange(nodeServer, request, options.done);
  closedAfter = undefined;
  const fromFast = await exchange(fastServer, request, options.done);
  expect(fromFast).toBe(fromNode);
  return { text: fromFast, closedAfter: closedAfter as boolean | undefined };
}

const endsWith = (tail: string) => (text: string) => text.endsWith(tail);
const headDone = endsWith('\r\n\r\n');

describe('FastResponse writes what node:http writes', () => {
  it('a body of announced length, in one end()', async () => {
    const { text, closedAfter } = await compare(
      (res) => {
        res.writeHead(200, ['Content-Type', 'application/json', 'content-length', '13', 'X-Upstream', 'new']);
        res.end(Buffer.from('{"ok":"fast"}'));
      },
      { done: endsWith('{"ok":"fast"}') },
    );
    expect(text).toContain('Connection: keep-alive\r\n');
    expect(closedAfter).toBe(false);
  });

  it('a body of announced length in pieces, and an upstream Date kept', () =>
    compare(
      (res) => {
        res.writeHead(200, ['content-length', '6', 'date', 'Tue, 01 Dec 2026 00:00:00 GMT']);
        res.write(Buffer.from('abc'));
        res.write(Buffer.from('def'));
        res.end();
      },
      { done: endsWith('abcdef') },
    ));

  it('a body of unknown length, chunked', async () => {
    const { text } = await compare(
      (res) => {
        res.writeHead(200, ['content-type', 'text/plain']);
        res.write(Buffer.from('hello '));
        res.write(Buffer.from('world'));
        res.end();
      },
      { done: endsWith('0\r\n\r\n') },
    );
    expect(text).toContain('Transfer-Encoding: chunked\r\n');
  });

  it('an error answer that closes the connection', async () => {
    const { closedAfter } = await compare(
      (res) => {
        res.writeHead(413, [
          'content-type',
          'application/json',
          'content-length',
          '2',
          'connection',
          'close',
        ]);
        res.end('{}');
      },
      { done: endsWith('{}') },
    );
    expect(closedAfter).toBe(true);
  });

  it('a client that asked to close', async () => {
    const { text, closedAfter } = await compare(
      (res) => {
        res.writeHead(200, ['content-length', '2']);
        res.end(Buffer.from('ok'));
      },
      { close: true, done: endsWith('ok') },
    );
    expect(text).toContain('Connection: close\r\n');
    expect(closedAfter).toBe(true);
  });

  it('HEAD: the headers, no body', () =>
    compare(
      (res) => {
        res.writeHead(200, ['content-length', '13']);
        res.end();
      },
      { method: 'HEAD', done: headDone },
    ));

  it('HEAD with a body of unknown length: no chunked framing', () =>
    compare(
      (res) => {
        res.writeHead(200, ['content-type', 'text/plain']);
        res.end();
      },
      { method: 'HEAD', done: headDone },
    ));

  it.each([204, 304])('%i: no body, no framing', async (status) => {
    await compare(
      (res) => {
        res.writeHead(status, ['etag', '"x"']);
        res.end();
      },
      { done: headDone },
    );
  });

  it('refuses a header value that would split the response, as node does', () => {
    const socket = new net.Socket();
    const res = new FastResponse({ responded() {} }, socket, false, true);
    expect(() => res.writeHead(200, ['x-a', 'ok\r\nx-injected: 1'])).toThrow(/invalid response header/);
    expect(() => res.writeHead(200, ['bad name', 'v'])).toThrow(/invalid response header/);
    socket.destroy();
  });
});
