import { once } from 'node:events';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Unleash, UnleashEvents } from 'unleash-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyError } from '../errors.ts';
import { serveClientFeatures } from '../testing/client-features-server.ts';
import { featureFor, type UnleashFeature } from './flag-mapping.ts';
import {
  checkUnleashClientVersion,
  installedUnleashClientVersion,
  rolloutBucket,
  UNLEASH_CLIENT_VERSION,
} from './stickiness.ts';

/**
 * rolloutBucket reproduces unleash-client's flexibleRollout hashing. This pins it to the real
 * client, asked through its public API only: should the pinned library hash differently, a
 * bucket lands elsewhere and this fails.
 */
const percentages = [1, 5, 10, 25, 33, 37, 50, 66, 75, 90, 99];
const groupIds = ['strangler.a', '', 'grp-ü']; // '' as a flag written by hand without a groupId
const flags: UnleashFeature[] = [];
for (const [g, groupId] of groupIds.entries())
  for (const percent of percentages) {
    const f = featureFor(`seam.${g}.${percent}`, { mode: 'canary', percent });
    f.strategies = [
      {
        name: 'flexibleRollout',
        parameters: { rollout: String(percent), stickiness: 'default', groupId },
        constraints: [],
      },
    ];
    flags.push(f);
  }
// ids unleash-client hashes byte by byte from UTF-16 units: ASCII, Latin-1, beyond, emoji
const ids = Array.from({ length: 4000 }, (_, i) =>
  i % 4 === 0 ? `u${i}` : i % 4 === 1 ? `user-${i * 7919}@example.com` : i % 4 === 2 ? `é${i}ü` : `ユ${i}😀`,
);

let flagApi: Awaited<ReturnType<typeof serveClientFeatures>>;
let unleash: Unleash;
let dir: string;

beforeAll(async () => {
  flagApi = await serveClientFeatures(flags);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'stickiness-'));
  unleash = new Unleash({
    appName: 'stickiness-test',
    url: flagApi.url,
    refreshInterval: 60_000,
    disableMetrics: true,
    backupPath: dir,
    skipInstanceCountWarning: true,
  });
  unleash.on(UnleashEvents.Error, () => {});
  await once(unleash, UnleashEvents.Synchronized);
});

afterAll(async () => {
  unleash?.destroy();
  flagApi?.close();
  await fs.rm(dir, { recursive: true, force: true });
});

describe('rolloutBucket', () => {
  it('puts every id where unleash-client flexibleRollout does, at every percentage and group', () => {
    let checked = 0;
    const mismatches: string[] = [];
    for (const [g, groupId] of groupIds.entries())
      for (const percent of percentages) {
        const flag = `seam.${g}.${percent}`;
        for (const id of ids) {
          const ours = rolloutBucket(id, groupId) <= percent;
          if (ours !== unleash.isEnabled(flag, { userId: id })) mismatches.push(`${flag} ${id}`);
          checked++;
        }
      }
    expect(mismatches.slice(0, 5)).toEqual([]);
    expect(checked).toBe(groupIds.length * percentages.length * ids.length);
  });

  it('spreads ids evenly over 1..100', () => {
    const buckets = new Array<number>(101).fill(0);
    for (const id of ids) buckets[rolloutBucket(id, 'strangler.a')]!++;
    expect(buckets[0]).toBe(0);
    expect(buckets.slice(1).every((n) => n > 10)).toBe(true);
  });
});

describe('unleash-client version check', () => {
  it('accepts the pinned version, which is the installed one', () => {
    expect(installedUnleashClientVersion()).toBe(UNLEASH_CLIENT_VERSION);
    expect(() => checkUnleashClientVersion()).not.toThrow();
  });

  it('refuses another version, naming the library and both versions', () => {
    let err: unknown;
    try {
      checkUnleashClientVersion('7.0.0');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProxyError);
    expect(err).toMatchObject({ code: 'PROXY_ERR_LIBRARY' });
    expect((err as Error).message).toMatch(/unleash-client 7\.0\.0 is installed.*unleash-client 6\.12\.1/);
  });
});
