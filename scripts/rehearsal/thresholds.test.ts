import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadThresholds, parseThresholds } from './thresholds.ts';

describe('thresholds', () => {
  it('defaults every gate', () => {
    const t = parseThresholds({}, 'test');
    expect(t.canary.steps).toEqual([5, 25, 50]);
    expect(t.gates).toEqual({
      maxErrorRate: 0.01,
      maxP99Ratio: 1.5,
      p99SlackMs: 25,
      maxMismatchRate: 0.01,
      minComparisons: 20,
      maxFallbackRate: 0.01,
    });
    expect(t.parity.maxMismatchRate).toBe(0);
  });

  it('names every bad field at once', async () => {
    expect.assertions(2);
    try {
      parseThresholds({ gates: { maxErrorRate: 2, typo: 1 }, canary: { steps: [25, 5] } }, 'rehearsal.json');
    } catch (err) {
      expect(err).toMatchObject({ code: 'REHEARSE_ERR_BAD_THRESHOLDS' });
      expect((err as Error).message).toMatchInlineSnapshot(`
        "invalid thresholds in rehearsal.json:
          - canary.steps: steps must increase, e.g. [5, 25, 50]
          - gates.maxErrorRate: Too big: expected number to be <=1
          - gates: Unrecognized key: "typo""
      `);
    }
  });

  it('layers flags over a file', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'thr-'));
    const file = path.join(dir, 't.json');
    await fs.writeFile(
      file,
      JSON.stringify({ gates: { maxErrorRate: 0.05, maxP99Ratio: 3 }, shadow: { requests: 50 } }),
    );
    const t = await loadThresholds(file, { gates: { maxErrorRate: 0.02, maxP99Ratio: undefined } });
    expect(t.gates.maxErrorRate).toBe(0.02);
    expect(t.gates.maxP99Ratio).toBe(3);
    expect(t.shadow.requests).toBe(50);
  });

  it('says what is wrong with an unreadable or non-JSON file', async () => {
    await expect(loadThresholds('/nonexistent/t.json')).rejects.toMatchObject({
      code: 'REHEARSE_ERR_BAD_THRESHOLDS',
      message: expect.stringContaining('cannot read thresholds file /nonexistent/t.json'),
    });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'thr-'));
    await fs.writeFile(path.join(dir, 'x.json'), '{nope');
    await expect(loadThresholds(path.join(dir, 'x.json'))).rejects.toThrow(/is not JSON/);
  });
});
