import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';

/** Header hygiene, SSRF and path tricks, and bad input, against real processes. */
let rig: ProxyRig;

beforeAll(async () => {
  rig = await startProxyRig({
    routes: ({ legacy, next }) => ({
      legacy: legacy.url,
      routes: [
        { id: 'products', methods: ['GET', 'POST'], paths: ['/products', '/products/:id'], new: next.url },
      ],
    }),
    flags: { 'strangler.products': { mode: 'new', percent: 100 } },
    env: {
      PROXY_MAX_BODY_BYTES: '1000',
      PROXY_MAX_HEADER_BYTES: '4096',
      PROXY_TARGET_HEADER: 'x-served-by',
      PROXY_CLIENT_IDLE_MS: '800',
    },
  });
});
afterAll(() => rig?.stop());

type Echo = { upstream: string; url: string; headers: Record<string, string>; bodyBytes: number };

/** Sends bytes as they are (no client-side normalisation) and returns the raw response. */
function raw(request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(rig.proxy.port, '127.0.0.1');
    let out = '';
    socket.on('data', (c) => {
      out += c.toString('latin1');
    });
    socket.on('end', () => resolve(out));
    socket.on('error', reject);
    socket.write(request);
    setTimeout(() => {
      socket.end();
      resolve(out);
    }, 1500).unref();
  });
}
const statusOf = (response: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(response)?.[1]);
const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Echo;

describe('header hygiene', () => {
  it('drops hop-by-hop headers both ways and names the serving side', async () => {
    const response = await raw(
      'GET /products/1 HTTP/1.1\r\nHost: shop.example\r\nConnection: keep-alive, x-secret-hop\r\nX-Secret-Hop: 1\r\n' +
        'Keep-Alive: timeout=5\r\nProxy-Authorization: Basic eA==\r\nTE: trailers\r\nUpgrade: h2c\r\nX-Kept: yes\r\nConnection: close\r\n\r\n',
    );
    expect(statusOf(response)).toBe(200);
    const echo = bodyOf(response);
    expect(echo.upstream).toBe('new');
    for (const h of ['x-secret-hop', 'keep-alive', 'proxy-authorization', 'te', 'upgrade'])
      expect(echo.headers[h]).toBeUndefined();
    expect(echo.headers['x-kept']).toBe('yes');
    expect(echo.headers.host).toBe(rig.next.url.slice('http://'.length)); // the upstream's own host
    // upstream sent Connection: keep-alive, x-private-hop + X-Private-Hop + Keep-Alive
    const head = response.slice(0, response.indexOf('\r\n\r\n')).toLowerCase();
    expect(head).not.toContain('x-private-hop');
    expect(head).not.toContain('keep-alive: timeout=5');
    expect(head).toContain('x-served-by: new');
    expect(head).toContain('x-upstream: new');
  });

  it('sets X-Forwarded-* and Forwarded, ignoring spoofed values from an untrusted client', async () => {
    const res = await fetch(`${rig.proxy.url}/products/2`, {
      headers: { 'x-forwarded-for': '6.6.6.6', forwarded: 'for=6.6.6.6', 'x-forwarded-host': 'evil.example' },
    });
    const echo = (await res.json()) as Echo;
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
    expect(echo.headers['x-forwarded-proto']).toBe('http');
    expect(echo.headers['x-forwarded-host']).toBe(`127.0.0.1:${rig.proxy.port}`);
    expect(echo.headers.forwarded).toBe(`for=127.0.0.1;host="127.0.0.1:${rig.proxy.port}";proto=http`);
  });

  it('propagates a valid traceparent with a new span id, and starts one when absent or malformed', async () => {
    const incoming = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    const a = (await (
      await fetch(`${rig.proxy.url}/products/3`, { headers: { traceparent: incoming } })
    ).json()) as Echo;
    expect(a.headers.traceparent).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(a.headers.traceparent).not.toBe(incoming);
    for (const headers of [{}, { traceparent: 'garbage' }] as Record<string, string>[]) {
      const b = (await (await fetch(`${rig.proxy.url}/products/3`, { headers })).json()) as Echo;
      expect(b.headers.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    }
  });
});

describe('SSRF and path tricks never reach another host or another route', () => {
  it('refuses absolute-URI and authority-form request targets with 400', async () => {
    const marker = `m${Date.now()}`;
    for (const target of [
      `http://169.254.169.254/latest/meta-data?${marker}`,
      `http://127.0.0.1:1/products/1?${marker}`,
      'evil.example:443',
      '*',
    ]) {
      const response = await raw(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
      expect(statusOf(response), target).toBe(400);
      // node's parser already refuses the authority and asterisk forms for GET
      expect(response).toMatch(
        target.startsWith('http')
          ? /PROXY_ERR_BAD_REQUEST_TARGET/
          : /PROXY_ERR_(BAD_REQUEST_TARGET|MALFORMED_REQUEST)/,
      );
    }
    await expectNeverForwarded(marker);
  });

  it('ignores the Host header for routing: it always lands on a configured upstream', async () => {
    const response = await raw('GET /admin HTTP/1.1\r\nHost: 169.254.169.254\r\nConnection: close\r\n\r\n');
    expect(bodyOf(response)).toMatchObject({ upstream: 'legacy', url: '/admin' });
    expect(bodyOf(response).headers.host).toBe(rig.legacy.url.slice('http://'.length));
  });

  it('resolves dot segments before routing, so /products/../admin is /admin on legacy', async () => {
    for (const path of [
      '/products/../admin',
      '/products/%2e%2e/admin',
      '/products/.%2E/admin',
      '/products//..//admin',
    ]) {
      const response = await raw(`GET ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(bodyOf(response), path).toMatchObject({ upstream: 'legacy', url: '/admin' });
    }
    const inRoute = await raw('GET /admin/../products/5 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(bodyOf(inRoute)).toMatchObject({ upstream: 'new', url: '/products/5' });
  });

  it('refuses encoded slashes, backslashes and double encoding with 400', async () => {
    const marker = `m${Date.now()}`;
    for (const path of [
      '/products%2F1',
      '/products/..%2Fadmin',
      '/products/%252e%252e/admin',
      '/products/1%5c..%5cadmin',
      '/products\\..\\admin',
      '/products/%zz',
    ]) {
      const response = await raw(`GET ${path}?${marker} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      expect(statusOf(response), path).toBe(400);
      expect(response).toContain('PROXY_ERR_BAD_PATH');
    }
    await expectNeverForwarded(marker);
  });
});

/** Neither upstream ever saw a request carrying `marker` (also not as a background shadow). */
async function expectNeverForwarded(marker: string): Promise<void> {
  await new Promise((r) => setTimeout(r, 200));
  const all = [...(await rig.legacy.requests()), ...(await rig.next.requests())];
  expect(all.filter((q) => q.url.includes(marker))).toEqual([]);
}

describe('client connections', () => {
  it('closes a connection idle past PROXY_CLIENT_IDLE_MS, but never one waiting for its answer', async () => {
    const socket = net.connect(rig.proxy.port, '127.0.0.1');
    await once(socket, 'connect');
    const closed = once(socket, 'close');
    let out = '';
    const answered = new Promise<number>((resolve) =>
      socket.on('data', (c) => {
        out += c.toString('latin1');
        const head = out.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(out)?.[1]);
        if (head > 0 && out.length - head - 4 >= length) resolve(Date.now());
      }),
    );
    // the upstream takes 1.5 s, nearly twice the idle limit, with no byte either way meanwhile
    socket.write('GET /products/1 HTTP/1.1\r\nHost: shop.example\r\nX-Test-Delay-Ms: 1500\r\n\r\n');
    const answeredAt = await answered;
    expect(statusOf(out)).toBe(200);
    expect(out.toLowerCase()).toContain('connection: keep-alive');
    await closed;
    const idleMs = Date.now() - answeredAt;
    expect(idleMs).toBeGreaterThanOrEqual(600);
    expect(idleMs).toBeLessThan(3000);
  });
});

describe('bad input', () => {
  it('answers a malformed request with 400', async () => {
    expect(statusOf(await raw('BLAH\r\n\r\n'))).toBe(400);
    expect(statusOf(await raw('GET /products/1 HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'))).toBe(400);
    expect(statusOf(await raw('GET /products/1 HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'))).toBe(
      400,
    );
  });

  it('answers oversized headers with 431', async () => {
    const response = await raw(`GET /products/1 HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(8000)}\r\n\r\n`);
    expect(statusOf(response)).toBe(431);
    expect(response).toContain('PROXY_ERR_HEADERS_TOO_LARGE');
  });

  it('answers bodies over the limit with 413, declared or chunked', async () => {
    const declared = await fetch(`${rig.proxy.url}/products`, { method: 'POST', body: 'x'.repeat(2000) });
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { code: string } }).error.code).toBe(
      'PROXY_ERR_BODY_TOO_LARGE',
    );
    const chunks = `${'200\r\n'}${'y'.repeat(0x200)}\r\n`.repeat(4);
    const chunked = await raw(
      `POST /products HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${chunks}0\r\n\r\n`,
    );
    expect(statusOf(chunked)).toBe(413);
    const small = await fetch(`${rig.proxy.url}/products`, { method: 'POST', body: 'z'.repeat(900) });
    expect(((await small.json()) as Echo).bodyBytes).toBe(900);
  });

  it('is still up and serving after all of it', async () => {
    expect(rig.proxy.proc.child.exitCode).toBeNull();
    const res = await fetch(`${rig.proxy.url}/products/1`);
    expect(res.status).toBe(200);
    const stats = (await (await rig.proxy.admin('/stats')).json()) as { rejected: Record<string, number> };
    expect(stats.rejected['bad-target']).toBeGreaterThan(0);
    expect(stats.rejected['headers-too-large']).toBeGreaterThan(0);
  });
});
