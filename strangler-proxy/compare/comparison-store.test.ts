import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ComparisonStore } from './comparison-store.ts';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'compare-store-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const entry = (n: number) => ({
  routeId: n % 2 ? 'odd' : 'even',
  outcome: 'mismatch' as const,
  request: { method: 'GET', path: `/x/${n}`, headers: {} },
  diffs: [{ path: '$.n', field: '$.n', kind: 'changed' as const, legacy: n, new: n + 1 }],
  noise: [],
});

describe('comparison store', () => {
  it('keeps at most maxRecords, dropping the oldest, newest last', async () => {
    const store = await new ComparisonStore({ dir, maxRecords: 4 }).open();
    for (let n = 1; n <= 9; n++) store.record(entry(n));
    await store.close();
    const reopened = await new ComparisonStore({ dir, maxRecords: 4 }).open();
    const paths = (await reopened.records()).map((r) => r.request.path);
    expect(paths.length).toBeLessThanOrEqual(4);
    expect(paths.at(-1)).toBe('/x/9');
    expect(paths).toEqual([...paths].sort());
    expect(paths).not.toContain('/x/1');
    // a route filter, and writes after a restart continue the bound
    expect((await reopened.records('odd')).every((r) => r.routeId === 'odd')).toBe(true);
    for (let n = 10; n <= 20; n++) reopened.record(entry(n));
    await reopened.close();
    const view = await ComparisonStore.readOnly(dir);
    const after = (await view.records()).map((r) => r.request.path);
    expect(after.length).toBeLessThanOrEqual(4);
    expect(after.at(-1)).toBe('/x/20');
  });

  it('counters, records and the noise model survive a restart', async () => {
    const store = await new ComparisonStore({ dir }).open();
    store.count('r', 'match');
    store.count('r', 'match');
    store.count('r', 'shed');
    store.record(entry(1));
    store.setNoiseState({ r: { samples: 3, fields: { '$.ts': 3 } } });
    await store.close();
    const again = await new ComparisonStore({ dir }).open();
    expect(again.counters()).toEqual({ r: { match: 2, mismatch: 0, noise: 0, lag: 0, error: 0, shed: 1 } });
    expect(again.noiseState()).toEqual({ r: { samples: 3, fields: { '$.ts': 3 } } });
    expect(await again.records()).toHaveLength(1);
    await again.close();
  });

  it('without a clean close: counters reach disk within about a second, a torn last line is skipped', async () => {
    const store = await new ComparisonStore({ dir }).open();
    store.count('r', 'mismatch');
    store.record(entry(2));
    await new Promise((r) => setTimeout(r, 1300));
    // what a crash leaves: the file as written so far plus half a line
    await fs.appendFile(path.join(dir, 'records.jsonl'), '{"id":"torn","rou');
    const view = await ComparisonStore.readOnly(dir);
    expect(view.counters()).toEqual({ r: { match: 0, mismatch: 1, noise: 0, lag: 0, error: 0, shed: 0 } });
    expect((await view.records()).map((r) => r.request.path)).toEqual(['/x/2']);
    await store.close();
  });

  it('a read-only view of a folder that is not a store says what it expected', async () => {
    await expect(ComparisonStore.readOnly(path.join(dir, 'nope'))).rejects.toMatchObject({
      code: 'PROXY_ERR_COMPARE_STORE_MISSING',
      message: expect.stringMatching(/no comparison store at .*nope.*counters\.json/),
    });
  });
});
