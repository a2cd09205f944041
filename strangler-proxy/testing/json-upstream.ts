import fs from 'node:fs';
import http from 'node:http';

/**
 * A small real upstream that answers fixed JSON documents, run as its own process, for the
 * aggregation route tests (a user, their orders, products: answers that refer to each other):
 *   tsx strangler-proxy/testing/json-upstream.ts <port> <name> <fixtures.json>
 * The fixtures file maps a request target (path and query) to the JSON body answered with 200;
 * any other target gets 404 with the shop's error shape. Steering:
 *   POST /__control {"delayMs":2000,"status":503} | {} — every later request
 *   GET /__requests — the targets seen so far, in order
 */
const port = Number(process.argv[2] ?? 0);
const name = process.argv[3] ?? 'json-upstream';
const fixtures = JSON.parse(fs.readFileSync(process.argv[4]!, 'utf8')) as Record<string, unknown>;

let control: { delayMs?: number; status?: number } = {};
const seen: string[] = [];

const server = http.createServer((req, res) => {
  const url = req.url ?? '/';
  if (url === '/__control' && req.method === 'POST') {
    let text = '';
    req.on('data', (c) => {
      text += c;
    });
    req.on('end', () => {
      control = text ? JSON.parse(text) : {};
      res.end('{"ok":true}');
    });
    return;
  }
  if (url === '/__requests') {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(seen));
    return;
  }
  seen.push(url);
  const answer = () => {
    if (res.destroyed) return;
    const known = Object.hasOwn(fixtures, url);
    const status = control.status ?? (known ? 200 : 404);
    const body = JSON.stringify(
      known && status < 400
        ? fixtures[url]
        : { error: { code: status === 404 ? 'SHOP_ERR_NOT_FOUND' : 'TEST_ERR', message: `${name}: ${url}` } },
    );
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
      'x-upstream': name,
    });
    res.end(body);
  };
  if (control.delayMs) setTimeout(answer, control.delayMs);
  else answer();
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`json-upstream ${name} ready on ${address.port}`);
});
