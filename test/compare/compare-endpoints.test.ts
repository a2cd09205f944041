import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentProcess } from '../../lib/component-process.ts';
import { compareEndpoints, renderMarkdown, reportFromResults } from '../../strangler-proxy/compare/index.ts';
import { startFixture } from './support.ts';

/**
 * The library API a team calls from its own vitest tests, against two real upstream
 * processes (the comparison fixture as legacy and as new).
 */
let legacy: { url: string; proc: ComponentProcess };
let next: { url: string; proc: ComponentProcess };

beforeAll(async () => {
  [legacy, next] = await Promise.all([startFixture('legacy'), startFixture('new')]);
});
afterAll(async () => {
  await Promise.allSettled([legacy?.proc.stop(), next?.proc.stop()]);
});

describe('compareEndpoints', () => {
  it('passes when the candidate answers like legacy, with noise and reordering excused by rules', async () => {
    const report = await compareEndpoints({
      legacyUrl: legacy.url,
      candidateUrl: next.url,
      requests: ['/same/1', '/same/2', '/noisy/1', '/list'],
      rules: (req) =>
        req.path === '/list'
          ? {
              arrays: [
                { path: '$.items', mode: 'sortBy', key: 'id' },
                { path: '$.tags', mode: 'set' },
              ],
            }
          : undefined,
    });
    expect(report.summary).toBe('4 compared: 3 matched, 0 mismatched, 1 noise only, 0 errors');
    expect(report.pass).toBe(true);
    expect(report.results[2]!.noise.map((d) => d.field).sort()).toEqual(['$.generatedAt', '$.requestId']);
  });

  it('fails with field-level diffs and a summary naming the failing requests', async () => {
    const report = await compareEndpoints({
      legacyUrl: legacy.url,
      candidateUrl: next.url,
      requests: ['/diff/1', '/diff/2', { path: '/list-raw', routeId: 'lists' }, '/same/3'],
      concurrency: 2,
    });
    expect(report.pass).toBe(false);
    expect(report).toMatchObject({ total: 4, matched: 1, mismatched: 3, errors: 0 });
    expect(report.topFields[0]).toMatchObject({ field: '$.price', count: 2 });
    expect(report.results[0]!.diffs).toEqual([
      { path: '$.price', field: '$.price', kind: 'changed', legacy: 10, new: 12 },
    ]);
    expect(report.summary).toContain('GET /diff/1: $.price 10 → 12');
    const md = renderMarkdown(reportFromResults(report.results, 'test'));
    expect(md).toContain('| (all) | 3 | 1 | 2 | 0 | 0 | 0 | 0 | 66.67 % |');
    expect(md).toContain('| lists | 1 | 0 | 1 |');
  });

  it('an unreachable side is an error, not a pass', async () => {
    const report = await compareEndpoints({
      legacyUrl: legacy.url,
      candidateUrl: 'http://127.0.0.1:9',
      requests: ['/same/1'],
      timeoutMs: 2000,
    });
    expect(report).toMatchObject({ pass: false, errors: 1 });
    expect(report.results[0]!.error).toBeTruthy();
  });

  it('names a request that has no origin', async () => {
    await expect(compareEndpoints({ requests: ['/same/1'] })).rejects.toMatchObject({
      code: 'PROXY_ERR_COMPARE_NO_ORIGIN',
    });
  });
});
