import { once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSimpleRequest } from './simple-request.ts';

const parse = (text: string, max = 16 * 1024) => parseSimpleRequest(Buffer.from(text, 'latin1'), max);

/** What node:http (llhttp) makes of the same bytes: the reference the fast path must equal. */
let server: http.Server;
let seen: { method: string; url: string; rawHeaders: string[] } | undefined;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen = { method: req.method!, url: req.url!, rawHeaders: req.rawHeaders };
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
});
afterAll(() => server?.close());

async function nodeReads(text: string): Promise<typeof seen> {
  seen = undefined;
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  socket.end(Buffer.from(text, 'latin1'));
  socket.resume();
  await once(socket, 'close');
  return seen;
}

describe('parseSimpleRequest', () => {
  const accepted = [
    'GET /products/1 HTTP/1.1\r\nHost: shop.example\r\n\r\n',
    'HEAD /products?page=2&sort=-price HTTP/1.1\r\nhost: a\r\nX-User-Id: u42\r\n\r\n',
    'DELETE /orders/7 HTTP/1.1\r\nHost: a:8080\r\nConnection: keep-alive\r\n\r\n',
    'OPTIONS /a/b;c=d/%7Ee HTTP/1.1\r\nHOST:a\r\nCookie: sid=1; uid=2\r\nConnection: close\r\n\r\n',
    "GET /~!$&'()*+,;=:@ HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Spaces: \t in  side \t \r\nx-dup: 1\r\nX-Dup: 2\r\n\r\n",
    `GET / HTTP/1.1\r\nHost: a\r\n${Array.from({ length: 60 }, (_, i) => `X-H${i}: v${i}\r\n`).join('')}\r\n`,
  ];

  it.each(accepted)('reads %j exactly as node:http does', async (text) => {
    const fast = parse(text);
    expect(fast).toBeDefined();
    const reference = await nodeReads(text);
    expect(reference).toBeDefined();
    expect({ method: fast!.method, url: fast!.url, rawHeaders: fast!.rawHeaders }).toEqual(reference);
    expect(fast!.keepAlive).toBe(!/connection: close/i.test(text));
  });

  // each goes to node:http, which answers it or refuses it itself
  const handedOver: [string, string][] = [
    ['a body (Content-Length)', 'GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n'],
    [
      'a body (Transfer-Encoding)',
      'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'a chunked header with nothing after it',
      'GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n',
    ],
    ['Expect', 'GET / HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\n\r\n'],
    ['Upgrade', 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n'],
    ['another Connection value', 'GET / HTTP/1.1\r\nHost: a\r\nConnection: keep-alive, x-hop\r\n\r\n'],
    ['POST', 'POST / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a lower-case method', 'get / HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['HTTP/1.0', 'GET / HTTP/1.0\r\nHost: a\r\n\r\n'],
    ['HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
    ['absolute-form', 'GET http://evil.example/ HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['asterisk-form', 'OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a fragment', 'GET /a#b HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a backslash', 'GET /a\\b HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['a space in the target', 'GET /a b HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['non-ASCII in the target', 'GET /caf\xe9 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['no Host', 'GET / HTTP/1.1\r\nX-A: 1\r\n\r\n'],
    ['two Hosts', 'GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n'],
    ['space before the colon', 'GET / HTTP/1.1\r\nHost : a\r\n\r\n'],
    ['obs-fold', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n'],
    ['a bare LF in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\nX-B: 2\r\n\r\n'],
    ['a bare CR in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\rX-B: 2\r\n\r\n'],
    ['a NUL in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: a\0b\r\n\r\n'],
    ['obs-text in a value', 'GET / HTTP/1.1\r\nHost: a\r\nX-A: caf\xe9\r\n\r\n'],
    ['a line without a colon', 'GET / HTTP/1.1\r\nHost: a\r\nBad Header\r\n\r\n'],
    ['an empty header name', 'GET / HTTP/1.1\r\nHost: a\r\n: v\r\n\r\n'],
    ['a split head (first part)', 'GET / HTTP/1.1\r\nHost: a\r\n'],
    ['two pipelined requests', 'GET /1 HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n'],
    ['bytes after the head', 'GET / HTTP/1.1\r\nHost: a\r\n\r\nx\r\n\r\n'],
    ['LF-only line ends', 'GET / HTTP/1.1\nHost: a\n\n'],
    ['too many header lines', `GET / HTTP/1.1\r\nHost: a\r\n${'X-A: 1\r\n'.repeat(64)}\r\n`],
  ];

  it.each(handedOver)('hands over %s', (_what, text) => {
    expect(parse(text)).toBeUndefined();
  });

  it('never throws, and whatever it accepts of 400 mutated requests node:http reads the same way', async () => {
    const base = 'GET /products/1?a=b HTTP/1.1\r\nHost: shop.example\r\nX-User-Id: u1\r\nAccept: */*\r\n\r\n';
    const alphabet = [
      '\r',
      '\n',
      ' ',
      '\t',
      ':',
      '\0',
      '\x80',
      '\xff',
      'a',
      '/',
      '%',
      '#',
      'H',
      '1',
      ',',
      '"',
    ];
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    let accepted = 0;
    for (let i = 0; i < 400; i++) {
      const chars = [...base];
      for (let edits = 1 + random(3); edits > 0; edits--) {
        const at = random(chars.length);
        const op = random(3);
        const c = alphabet[random(alphabet.length)]!;
        if (op === 0) chars[at] = c;
        else if (op === 1) chars.splice(at, 0, c);
        else chars.splice(at, 1);
      }
      const text = chars.join('');
      const fast = parse(text);
      if (fast === undefined) continue;
      accepted++;
      const reference = await nodeReads(text);
      expect(
        { method: fast.method, url: fast.url, rawHeaders: fast.rawHeaders },
        JSON.stringify(text),
      ).toEqual(reference);
    }
    // the mutations must leave some requests plain enough to be served
    expect(accepted).toBeGreaterThan(20);
  });

  it('hands over a head longer than the header limit', () => {
    const text = `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'x'.repeat(200)}\r\n\r\n`;
    expect(parse(text, 4096)).toBeDefined();
    expect(parse(text, 200)).toBeUndefined();
  });
});
