import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isListening } from '../../lib/net.ts';
import { servingGates } from '../../scripts/rehearsal/gates.ts';
import { type LivePorts, livePorts } from '../../scripts/rehearsal/live/live-ports.ts';
import { parseThresholds } from '../../scripts/rehearsal/thresholds.ts';
import { type E2eSystem, killPortHolder, startE2eSystem } from './system-fixture.ts';

/**
 * The rehearsal's live ports against the real proxy and monolith (started by npm start's
 * code): shifts are seen by the proxy before traffic is measured, parity holds with the flag
 * off, and a dead new service shows up as fallbacks that fail the canary gate.
 */
describe('rehearsal live ports', () => {
  let e2e: E2eSystem;
  let ports: LivePorts;
  const t = parseThresholds({ traffic: { rate: 60, minRequests: 20 }, parity: { requests: 40 } }, 'test');

  beforeAll(async () => {
    e2e = await startE2eSystem();
    ports = await livePorts(e2e.system.urls, e2e.env, 3);
  }, 240_000);
  afterAll(async () => {
    await e2e?.stop();
  });

  it('reads the route table the running proxy serves', () => {
    expect(ports.routes.map((r) => r.id)).toEqual(['products', 'orders']);
    expect(ports.routes[0]!.legacy).toBe(e2e.system.urls.legacy);
    expect(ports.routes[0]!.upstreamNew).toBe(e2e.system.urls.catalog);
  });

  it('finds the proxy invisible with the flag off (stage 1 parity)', async () => {
    await ports.shift('orders', 'legacy');
    const f = await ports.parity('orders', t);
    expect(f).toMatchObject({ requests: 40, mismatches: 0, errors: 0 });
  });

  it('counts fallbacks when the new service is dead during a canary, failing the gate', async () => {
    if (await isListening(Number(e2e.env.CATALOG_PORT))) await killPortHolder(Number(e2e.env.CATALOG_PORT));
    const legacy = await ports.legacyBaseline('products', {
      ...t,
      canary: { ...t.canary, stepDurationMs: 2000 },
    });
    expect(legacy.requests).toBeGreaterThan(20);
    expect(legacy.errors).toBe(0);
    await ports.shift('products', 50);
    expect((await ports.admin.flags()).find((f) => f.route === 'products')?.seenByProxy).toEqual({
      mode: 'canary',
      percent: 50,
    });
    const f = await ports.traffic('products', 3000, t);
    expect(f.errors).toBe(0); // users got legacy's answers
    expect(f.fallbacks).toBeGreaterThan(0);
    expect(f.servedBy.legacy).toBe(f.requests);
    const failed = servingGates(f, legacy.p99, t).filter((g) => !g.pass);
    expect(failed.map((g) => g.gate)).toContain('fallback rate');
    await ports.shift('products', 'legacy');
    expect((await ports.admin.flags()).find((f) => f.route === 'products')?.stored.mode).toBe('legacy');
  }, 60_000);
});
