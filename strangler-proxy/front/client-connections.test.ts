import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { FastConnections } from './client-connections.ts';

/** FastConnections on real sockets, with a handler that answers at once. */
let server: net.Server | undefined;
afterEach(() => server?.close());

async function start(answerBytes: number) {
  const served: string[] = [];
  const handedOver: Buffer[] = [];
  const body = Buffer.alloc(answerBytes, 120);
  const fast = new FastConnections({
    handler(req, res) {
      served.push(req.url!);
      res.writeHead(200, ['content-length', String(body.length)]);
      res.end(body);
    },
    handOver(socket, unread) {
      handedOver.push(unread);
      socket.destroy();
    },
    accepting: () => true,
    maxHeaderBytes: 16 * 1024,
    clientIdleMs: 60_000,
  });
  server = net.createServer((socket) => fast.accept(socket));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  client.setNoDelay(true);
  await once(client, 'connect');
  return { served, handedOver, client };
}

describe('FastConnections', () => {
  it('stops reading requests while the client leaves its answers unread, and serves them all once it reads', async () => {
    const { served, handedOver, client } = await start(1024 * 1024);
    client.pause();
    for (let i = 0; i < 40; i++) {
      client.write(`GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
      await sleep(5); // one request per read, so each is a plain one for the fast path
    }
    await sleep(300);
    // without the pause every request would be answered into the process's memory (40 MiB)
    expect(served.length).toBeLessThan(20);
    let received = 0;
    client.on('data', (c: Buffer) => {
      received += c.length;
    });
    client.resume();
    const deadline = Date.now() + 10_000;
    while (served.length < 40 && Date.now() < deadline) await sleep(20);
    expect(handedOver).toEqual([]);
    expect(served).toEqual(Array.from({ length: 40 }, (_, i) => `/${i}`));
    while (received < 40 * 1024 * 1024 && Date.now() < deadline) await sleep(20);
    expect(received).toBeGreaterThan(40 * 1024 * 1024);
    client.destroy();
  });

  it('answers a request that came while the previous answer was in flight, in order', async () => {
    const { served, handedOver, client } = await start(10);
    let text = '';
    client.on('data', (c: Buffer) => {
      text += c.toString('latin1');
    });
    for (let i = 0; i < 20; i++) client.write(`GET /${i} HTTP/1.1\r\nHost: a\r\n\r\n`);
    const deadline = Date.now() + 5000;
    while (served.length + handedOver.length === 0 && Date.now() < deadline) await sleep(10);
    await sleep(200);
    // requests that reached one read together go to node:http whole; the rest are served in order
    const servedIds = served.map((u) => Number(u.slice(1)));
    expect(servedIds).toEqual(Array.from({ length: servedIds.length }, (_, i) => i));
    expect(text.split('HTTP/1.1 200 OK').length - 1).toBe(served.length);
    client.destroy();
  });
});
