import { createHash } from 'node:crypto';
import http from 'node:http';

/**
 * A small real upstream for the proxy's tests and benchmark, run as its own process:
 *   tsx strangler-proxy/testing/test-upstream.ts <port> <name> [--fast]
 * Answers JSON describing what it received: {upstream, method, url, headers, bodyBytes,
 * bodySha256}. The body is hashed as it streams, never held. Steering:
 *   POST /__control {"status":500} | {"delayMs":2000} | {} (back to normal) — every later request
 *   header x-test-status / x-test-delay-ms — this request only
 *   header x-test-chunked: 1 — this request only: no Content-Length on the answer, whose body is
 *     written in two pieces, so node frames it with Transfer-Encoding: chunked (HTTP/1.1)
 *   header x-test-pause-after-bytes + x-test-pause-ms — stop reading the body for that long once
 *     that many bytes arrived, so a test can see whether backpressure reaches the client
 *   GET /__requests — the last 200 requests seen (method, url, headers); GET /__die — exit(1)
 *   GET /__big?bytes=N — a streamed N-byte body
 * --fast answers every request with a fixed 13-byte body: the benchmark's upstream.
 */
const port = Number(process.argv[2] ?? 0);
const name = process.argv[3] ?? 'upstream';
const fast = process.argv.includes('--fast');

let control: { status?: number; delayMs?: number } = {};
const seen: { method: string; url: string; headers: http.IncomingHttpHeaders; at: number }[] = [];

const fastBody = Buffer.from('{"ok":"fast"}');
const server = http.createServer((req, res) => {
  if (fast) {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': fastBody.length });
    res.end(fastBody);
    return;
  }
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
  if (url === '/__die') process.exit(1);
  if (url.startsWith('/__big')) {
    const bytes = Number(new URL(url, 'http://x').searchParams.get('bytes') ?? 0);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes });
    const chunk = Buffer.alloc(64 * 1024, 120);
    let left = bytes;
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n)))
          return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
    return;
  }
  seen.push({ method: req.method ?? '', url, headers: req.headers, at: Date.now() });
  if (seen.length > 200) seen.shift();
  const hash = createHash('sha256');
  let bodyBytes = 0;
  let pauseAfter = Number(req.headers['x-test-pause-after-bytes'] ?? Number.POSITIVE_INFINITY);
  const pauseMs = Number(req.headers['x-test-pause-ms'] ?? 0);
  req.on('data', (chunk: Buffer) => {
    bodyBytes += chunk.length;
    hash.update(chunk);
    if (bodyBytes >= pauseAfter) {
      pauseAfter = Number.POSITIVE_INFINITY;
      req.pause();
      setTimeout(() => req.resume(), pauseMs);
    }
  });
  req.on('end', () => {
    const status = Number(req.headers['x-test-status'] ?? control.status ?? 200);
    const delayMs = Number(req.headers['x-test-delay-ms'] ?? control.delayMs ?? 0);
    const answer = () => {
      const body = JSON.stringify({
        upstream: name,
        method: req.method,
        url,
        headers: req.headers,
        bodyBytes,
        bodySha256: bodyBytes ? hash.digest('hex') : null,
      });
      if (res.destroyed) return;
      const chunked = req.headers['x-test-chunked'] === '1';
      res.writeHead(status, {
        'content-type': 'application/json',
        ...(chunked ? {} : { 'content-length': Buffer.byteLength(body) }),
        'x-upstream': name,
        connection: 'keep-alive, x-private-hop',
        'x-private-hop': 'must-not-leak',
        'keep-alive': 'timeout=5',
      });
      if (chunked) {
        const half = body.length >> 1;
        res.write(body.slice(0, half));
        res.end(body.slice(half));
      } else res.end(body);
    };
    if (delayMs > 0) setTimeout(answer, delayMs);
    else answer();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`test-upstream ${name} ready on ${address.port}`);
});
