import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../lib/net.ts';
import { ReverseLink } from './reverse-link.ts';

/**
 * The switch's link speaks through reverse sync's own client; what it adds is the switch's
 * error codes. A part that answers with a refusal or something unreadable is
 * SWITCH_ERR_BAD_ANSWER naming its code; one that does not answer is SWITCH_ERR_UNREACHABLE.
 */
let server: http.Server;
let base: string;
let closed: string;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const send = (status: number, body: string) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(body);
    };
    if (req.url === '/writes/ownership' && req.method === 'GET')
      return send(200, JSON.stringify({ owned: ['products'], since: null, secondWriters: {} }));
    if (req.url === '/writes/ownership' && req.method === 'PUT')
      return send(400, JSON.stringify({ error: { code: 'CATALOG_ERR_BAD_OWNERSHIP', message: 'no' } }));
    if (req.url === '/status') return send(200, 'not json');
    if (req.url === '/reverse/enable')
      return send(400, JSON.stringify({ error: { code: 'REVERSE_ERR_BAD_TABLES', message: 'orders' } }));
    send(404, '{}');
  });
  const port = await freePort();
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  base = `http://127.0.0.1:${port}`;
  closed = `http://127.0.0.1:${await freePort()}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('ReverseLink', () => {
  it("reads the service's owned tables", async () => {
    expect(await new ReverseLink(base, base).owned()).toEqual(['products']);
  });

  it('a refusal is SWITCH_ERR_BAD_ANSWER with the remote code', async () => {
    const link = new ReverseLink(base, base);
    await expect(link.setOwned(['x'])).rejects.toMatchObject({
      code: 'SWITCH_ERR_BAD_ANSWER',
      message: expect.stringContaining('CATALOG_ERR_BAD_OWNERSHIP'),
      context: { status: 400, code: 'CATALOG_ERR_BAD_OWNERSHIP' },
    });
    await expect(link.enable(['orders'])).rejects.toMatchObject({
      code: 'SWITCH_ERR_BAD_ANSWER',
      message: expect.stringMatching(/^reverse sync refused at .*REVERSE_ERR_BAD_TABLES/),
    });
  });

  it('an unreadable answer is SWITCH_ERR_BAD_ANSWER', async () => {
    await expect(new ReverseLink(base, base).status()).rejects.toMatchObject({
      code: 'SWITCH_ERR_BAD_ANSWER',
      message: expect.stringContaining('not JSON'),
    });
  });

  it('no answer is SWITCH_ERR_UNREACHABLE naming the part', async () => {
    const link = new ReverseLink(closed, closed);
    await expect(link.owned()).rejects.toMatchObject({
      code: 'SWITCH_ERR_UNREACHABLE',
      message: expect.stringContaining(`the service does not answer at ${closed}`),
    });
    await expect(link.disable(['products'])).rejects.toMatchObject({
      code: 'SWITCH_ERR_UNREACHABLE',
      message: expect.stringContaining('reverse sync does not answer'),
    });
  });
});
