import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dryRunHeader } from '../../contract/index.ts';
import { waitFor } from '../../lib/net.ts';
import { frontEnds, type ProxyRig, startProxyRig } from '../../strangler-proxy/testing/harness.ts';

/**
 * The dry-run mark belongs to the proxy. A client's is dropped on every path (unmatched,
 * a route's reads, its writes) by both front ends, and a route's write, executed by legacy
 * once, reaches the new side only as the proxy's own dry-run copy, compared as a write.
 */
type Echo = { upstream: string; method: string; url: string; headers: Record<string, string> };

describe.each(frontEnds)('through the %s', (frontEnd) => {
  let rig: ProxyRig;
  beforeAll(async () => {
    rig = await startProxyRig({
      frontEnd,
      routes: ({ legacy, next }) => ({
        legacy: legacy.url,
        routes: [
          {
            id: 'products',
            methods: ['GET', 'HEAD'],
            paths: ['/products', '/products/:id'],
            new: next.url,
            flag: 'strangler.products',
            writes: { methods: ['POST', 'PATCH'], paths: ['/products', '/products/:id'] },
            owns: ['products'],
            compare: { writeRules: { ignore: ['$.upstream', '$.headers', '$.bodyBytes'] } },
          },
        ],
      }),
      flags: { 'strangler.products': { mode: 'shadow', percent: 100 } },
    });
  });
  afterAll(() => rig?.stop());

  const send = async (method: string, path: string, body?: string) => {
    const res = await fetch(rig.proxy.url + path, {
      method,
      body,
      headers: { [dryRunHeader]: '1', 'content-type': 'application/json', 'x-user-id': 'u1' },
    });
    return { target: res.headers.get('x-strangler-target'), echo: (await res.json()) as Echo };
  };
  const seenBy = async (side: 'legacy' | 'next', method: string, url: string) =>
    (await rig[side].requests()).filter((r) => r.method === method && r.url === url);
  const writeCounts = async () => {
    const text = await (await rig.proxy.admin('/metrics')).text();
    const n = (outcome: string) =>
      Number(
        new RegExp(
          `^strangler_compare_writes_total\\{route="products",outcome="${outcome}"\\} (\\d+)`,
          'm',
        ).exec(text)?.[1] ?? 0,
      );
    return { match: n('match'), mismatch: n('mismatch') };
  };

  it("drops a client's mark on an unmatched request and on a route's read, and its shadow copy", async () => {
    // the flags reach a starting front end a moment after it serves: until a read is shadowed
    await waitFor(
      'shadow mode in the front end',
      async () => {
        const probe = `/products/7?warm=${Date.now()}`;
        await send('GET', probe);
        await new Promise((r) => setTimeout(r, 500));
        if ((await seenBy('next', 'GET', probe)).length === 0) throw new Error('not shadowing yet');
      },
      { timeoutMs: 30_000 },
    );
    const unmatched = await send('POST', `/orders?u=${frontEnd}`, '{}');
    expect(unmatched).toMatchObject({ target: 'legacy', echo: { upstream: 'legacy' } });
    expect(unmatched.echo.headers[dryRunHeader]).toBeUndefined();
    const read = await send('GET', `/products/41?r=${frontEnd}`);
    expect(read.echo.upstream).toBe('legacy');
    expect(read.echo.headers[dryRunHeader]).toBeUndefined();
    const copy = await waitFor(
      'the shadow copy of the read',
      async () => {
        const [found] = await seenBy('next', 'GET', `/products/41?r=${frontEnd}`);
        if (!found) throw new Error('not seen yet');
        return found;
      },
      { timeoutMs: 15_000 },
    );
    expect(copy.headers['x-strangler-shadow']).toBe('1');
    expect(copy.headers[dryRunHeader]).toBeUndefined();
  });

  it('a write: legacy executes it once without the mark; new gets one dry-run copy, compared as a write', async () => {
    const before = await writeCounts();
    const path = `/products?w=${frontEnd}`;
    const body = JSON.stringify({ sku: 'S-1', name: 'n' });
    const served = await send('POST', path, body);
    expect(served).toMatchObject({ target: 'legacy', echo: { upstream: 'legacy', method: 'POST' } });
    expect(served.echo.headers[dryRunHeader]).toBeUndefined();
    const copy = await waitFor(
      'the dry-run copy on new',
      async () => {
        const [found] = await seenBy('next', 'POST', path);
        if (!found) throw new Error('not seen yet');
        return found;
      },
      { timeoutMs: 15_000 },
    );
    expect(copy.headers[dryRunHeader]).toBe('1');
    expect(copy.headers['content-length']).toBe(String(body.length));
    await waitFor(
      'the write comparison',
      async () => {
        const now = await writeCounts();
        if (now.match + now.mismatch <= before.match + before.mismatch) throw new Error('not counted yet');
      },
      { timeoutMs: 15_000 },
    );
    expect((await writeCounts()).match).toBe(before.match + 1);
    // never asked twice: one POST on each side
    expect(await seenBy('legacy', 'POST', path)).toHaveLength(1);
    expect(await seenBy('next', 'POST', path)).toHaveLength(1);
  });

  it('a write in plain legacy gets no copy at all', async () => {
    await rig.proxy.shift('products', 'legacy');
    const path = `/products/9?l=${frontEnd}`;
    await waitFor(
      'legacy mode in the proxy',
      async () => {
        // a read in legacy mode gets no shadow copy: once one is answered without one, the flag is applied
        const probe = `/products/8?probe=${Date.now()}`;
        await send('GET', probe);
        await new Promise((r) => setTimeout(r, 300));
        if ((await seenBy('next', 'GET', probe)).length > 0) throw new Error('still shadowing');
      },
      { timeoutMs: 15_000 },
    );
    const served = await send('PATCH', path, '{"name":"x"}');
    expect(served.target).toBe('legacy');
    await new Promise((r) => setTimeout(r, 1500));
    expect(await seenBy('next', 'PATCH', path)).toHaveLength(0);
    expect(await seenBy('legacy', 'PATCH', path)).toHaveLength(1);
  });
});
