import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { Readable } from 'node:stream';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { frontEnds, type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';

/**
 * Big bodies through the proxy both ways. The proof that an upload is never buffered whole is
 * backpressure: the new service stops reading for a while, and the client must stall too, with
 * no more than the sockets' buffers in flight; a buffering proxy would take the whole body.
 * Resident memory is checked too, on a 200 MB body after a warm-up transfer: RSS also holds
 * garbage waiting for the next scavenge (a few tens of MB whatever the size), so it is only a
 * coarse second check.
 */
const MB = 1024 * 1024;
let rig: ProxyRig;
let serverPid: number;

function rssBytes(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

async function sampledPeak<T>(work: () => Promise<T>): Promise<{ result: T; base: number; peak: number }> {
  const base = rssBytes(serverPid);
  let peak = base;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(serverPid));
  }, 20);
  try {
    const result = await work();
    peak = Math.max(peak, rssBytes(serverPid));
    return { result, base, peak };
  } finally {
    clearInterval(timer);
  }
}

/** A generated body; `produced` counts what the client has handed to its socket so far. */
function generated(bytes: number, hash: ReturnType<typeof createHash>) {
  let left = bytes;
  let n = 0;
  const progress = { produced: 0, lastReadAt: Date.now() };
  const stream = new Readable({
    read() {
      progress.lastReadAt = Date.now();
      if (left === 0) return void this.push(null);
      const chunk = Buffer.alloc(Math.min(64 * 1024, left), n++ % 251);
      left -= chunk.length;
      progress.produced += chunk.length;
      hash.update(chunk);
      this.push(chunk);
    },
  });
  return { stream, progress };
}

describe.each(frontEnds)('through the %s', (frontEnd) => {
  beforeAll(async () => {
    rig = await startProxyRig({
      frontEnd,
      routes: ({ legacy, next }) => ({
        legacy: legacy.url,
        routes: [
          {
            id: 'uploads',
            methods: ['POST', 'PUT'],
            paths: ['/uploads'],
            new: next.url,
            timeouts: { headersMs: 30_000, bodyMs: 30_000 },
          },
        ],
      }),
      flags: { 'strangler.uploads': { mode: 'new', percent: 100 } },
      env: { PROXY_MAX_BODY_BYTES: String(300 * 1024 * 1024) },
    });
    // startComponent runs tsx as a loader inside the proxy's own process: measure that pid.
    serverPid = rig.proxy.proc.child.pid!;
  });
  afterAll(() => rig?.stop());

  describe('streamed bodies', () => {
    it('warms up (first transfer grows the heap and the pools once)', async () => {
      const res = await request(`${rig.proxy.url}/uploads`, {
        method: 'POST',
        body: generated(50 * MB, createHash('sha256')).stream,
      });
      expect(((await res.body.json()) as { bodyBytes: number }).bodyBytes).toBe(50 * MB);
    });

    it('holds a 200 MB upload back while the new service is not reading (backpressure reaches the client)', async () => {
      const size = 200 * MB;
      const hash = createHash('sha256');
      const body = generated(size, hash);
      let stalledAt: number | undefined;
      const watch = setInterval(() => {
        if (stalledAt === undefined && Date.now() - body.progress.lastReadAt > 500)
          stalledAt = body.progress.produced;
      }, 50);
      try {
        const res = await request(`${rig.proxy.url}/uploads`, {
          method: 'POST',
          body: body.stream,
          headers: { 'x-test-pause-after-bytes': String(MB), 'x-test-pause-ms': '2500' },
        });
        const answer = (await res.body.json()) as { bodyBytes: number; bodySha256: string };
        expect(answer).toMatchObject({ bodyBytes: size, bodySha256: hash.digest('hex') });
      } finally {
        clearInterval(watch);
      }
      console.log(
        `upload paused at 1 MB: the client stalled after ${((stalledAt ?? size) / MB).toFixed(1)} MB`,
      );
      // In flight: two loopback connections' send and receive buffers plus the streams' marks.
      expect(stalledAt).toBeDefined();
      expect(stalledAt).toBeLessThan(64 * MB);
    });

    it('streams a 200 MB upload to the new service without buffering it (RSS growth < 48 MB)', async () => {
      const size = 200 * MB;
      const hash = createHash('sha256');
      const { result, base, peak } = await sampledPeak(async () => {
        const res = await request(`${rig.proxy.url}/uploads`, {
          method: 'POST',
          body: generated(size, hash).stream,
          headers: { 'content-type': 'application/octet-stream' },
        });
        return {
          status: res.statusCode,
          target: res.headers['x-strangler-target'],
          body: (await res.body.json()) as { bodyBytes: number; bodySha256: string },
        };
      });
      expect(result).toMatchObject({
        status: 200,
        target: 'new',
        body: { bodyBytes: size, bodySha256: hash.digest('hex') },
      });
      console.log(`upload 200 MB: proxy RSS ${Math.round(base / MB)} MB → peak ${Math.round(peak / MB)} MB`);
      expect(peak - base).toBeLessThan(48 * MB);
    });

    it('streams a 50 MB download to the client without buffering it', async () => {
      const { result, base, peak } = await sampledPeak(async () => {
        const res = await request(`${rig.proxy.url}/__big?bytes=${50 * MB}`);
        let bytes = 0;
        for await (const chunk of res.body) bytes += (chunk as Buffer).length;
        return { status: res.statusCode, bytes, target: res.headers['x-strangler-target'] };
      });
      expect(result).toEqual({ status: 200, bytes: 50 * MB, target: 'legacy' });
      expect(peak - base).toBeLessThan(50 * MB);
    });
  });
});
