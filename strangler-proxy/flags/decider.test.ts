import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../lib/log.ts';
import { buildRouteTable, type Route } from '../routes/route-table.ts';
import { serveClientFeatures } from '../testing/client-features-server.ts';
import { FlagDecider } from './decider.ts';
import { featureFor, type UnleashFeature } from './flag-mapping.ts';

/**
 * The decider computes the flexibleRollout bucket itself for flags in the shape the proxy
 * writes; it must land every user exactly where unleash-client's isEnabled would, and fall
 * back to isEnabled for any other flag definition.
 */
const canary = featureFor('strangler.a', { mode: 'canary', percent: 37 });
// a hand-edited flag: a constraint the fast path does not evaluate → isEnabled decides
const constrained: UnleashFeature = {
  ...featureFor('strangler.b', { mode: 'canary', percent: 60 }),
  strategies: [
    {
      ...featureFor('strangler.b', { mode: 'canary', percent: 60 }).strategies[0]!,
      constraints: [{ contextName: 'userId', operator: 'STR_STARTS_WITH', values: ['u1'] }],
    },
  ],
};
const shadow = featureFor('strangler.c', { mode: 'shadow', percent: 25 });
// written by hand without a groupId: flexibleRollout then hashes with an empty group
const noGroup: UnleashFeature = {
  ...featureFor('strangler.d', { mode: 'canary', percent: 40 }),
  strategies: [
    { name: 'flexibleRollout', parameters: { rollout: '40', stickiness: 'default' }, constraints: [] },
  ],
};

let flagApi: Awaited<ReturnType<typeof serveClientFeatures>>;
let decider: FlagDecider;
let dir: string;
let routes: Route[];

beforeAll(async () => {
  flagApi = await serveClientFeatures([canary, constrained, shadow, noGroup]);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'decider-'));
  decider = new FlagDecider({
    url: flagApi.url,
    refreshMs: 1000,
    backupPath: dir,
    environment: 'development',
    log: createLogger('decider-test'),
  });
  expect(await decider.waitUntilReady(5000)).toBe(true);
  const up = 'http://127.0.0.1:1';
  routes = [
    ...buildRouteTable(
      {
        legacy: up,
        routes: ['a', 'b', 'c', 'd'].map((id) => ({ id, methods: ['GET'], paths: [`/${id}`], new: up })),
      },
      1024,
    ).routes,
  ];
});

afterAll(async () => {
  decider?.destroy();
  flagApi?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('FlagDecider', () => {
  it('puts every user on the side unleash-client isEnabled picks (proxy-shaped and hand-edited flags)', () => {
    const [a, b, c, d] = routes as [Route, Route, Route, Route];
    let onNew = 0;
    for (let i = 0; i < 5000; i++) {
      const ctx = i % 10 === 0 ? { sessionId: `s${i}` } : { userId: `u${i}`, sessionId: `s${i}` };
      const da = decider.decide(a, ctx);
      expect(da.serve === 'new').toBe(decider.unleash.isEnabled(a.flag, ctx));
      if (da.serve === 'new') onNew++;
      expect(decider.decide(b, ctx).serve === 'new').toBe(decider.unleash.isEnabled(b.flag, ctx));
      const dc = decider.decide(c, ctx);
      expect(dc.shadow).toBe(decider.unleash.isEnabled(c.flag, ctx));
      expect(dc.serve).toBe('legacy');
      expect(decider.decide(d, ctx).serve === 'new').toBe(decider.unleash.isEnabled(d.flag, ctx));
    }
    expect(onNew / 5000).toBeGreaterThan(0.34);
    expect(onNew / 5000).toBeLessThan(0.4);
  });

  it('still counts each decision in the Unleash usage metrics', () => {
    const counts: boolean[] = [];
    const listener = (name: string, enabled: boolean) => {
      if (name === 'strangler.a') counts.push(enabled);
    };
    decider.unleash.on('count', listener);
    decider.decide(routes[0]!, { userId: 'u-metrics' });
    decider.unleash.off('count', listener);
    expect(counts).toEqual([decider.unleash.isEnabled('strangler.a', { userId: 'u-metrics' })]);
  });
});
