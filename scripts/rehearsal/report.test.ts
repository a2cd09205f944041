import { describe, expect, it } from 'vitest';
import type { RouteRehearsal } from './engine.ts';
import { formatStage } from './format.ts';
import { reportHtml, reportMarkdown } from './report.ts';
import { parseThresholds } from './thresholds.ts';

const rolledBack: RouteRehearsal = {
  route: 'products',
  outcome: 'rolled-back',
  startedAt: '2026-11-22T19:00:00.000Z',
  finishedAt: '2026-11-22T19:01:00.000Z',
  rolledBackTo: 'legacy',
  failure: {
    stage: 4,
    step: '5 %',
    gate: 'error rate',
    why: '12 of 80 route requests failed (5xx or no answer): 15.00 % is above the limit of 1.00 %',
  },
  stages: [
    {
      stage: 4,
      title: 'canary',
      step: '5 %',
      status: 'failed',
      ms: 10_000,
      gates: [
        {
          gate: 'error rate',
          value: 0.15,
          limit: 0.01,
          unit: 'rate',
          verdict: 'fail',
          pass: false,
          why: '12 of 80 route requests failed (5xx or no answer): 15.00 % is above the limit of 1.00 %',
        },
        { gate: 'p99 latency', value: 30, limit: 45, unit: 'ms', verdict: 'pass', pass: true },
      ],
      figures: { requests: 80, 'served by': 'legacy 68, new 12' },
      notes: ['rolled back: the route is served by legacy again'],
    },
    { stage: 5, title: 'cutover', status: 'skipped', ms: 0, gates: [], figures: {}, notes: [] },
  ],
};

describe('rehearsal report', () => {
  it('prints a stage with its gates and why one failed', () => {
    expect(formatStage('products', rolledBack.stages[0]!)).toMatchInlineSnapshot(`
      "[products] stage 4 · canary 5 % — FAIL (10.0 s)
          ✗ error rate            15.00 %  (≤ 1.00 %)
            12 of 80 route requests failed (5xx or no answer): 15.00 % is above the limit of 1.00 %
          ✓ p99 latency             30 ms  (≤ 45 ms)
          requests: 80 · served by: legacy 68, new 12
          note: rolled back: the route is served by legacy again"
    `);
  });

  it('writes markdown that names the failed gate and the rollback', () => {
    const md = reportMarkdown({
      startedAt: rolledBack.startedAt,
      finishedAt: rolledBack.finishedAt,
      system: { proxy: 'http://127.0.0.1:8080' },
      thresholds: parseThresholds({}, 'test'),
      routes: [rolledBack],
    });
    expect(md.split('## Thresholds')[0]).toMatchInlineSnapshot(`
      "# Migration rehearsal report

      Started 2026-11-22T19:00:00.000Z, finished 2026-11-22T19:01:00.000Z.

      ## Verdict

      - [products] rolled-back at stage 4 · canary 5 %: gate "error rate" failed — 12 of 80 route requests failed (5xx or no answer): 15.00 % is above the limit of 1.00 %; traffic rolled back to legacy

      ## System

      - proxy: http://127.0.0.1:8080

      ## Route \`products\`: rolled-back

      Stopped at stage 4 · canary 5 %: gate **error rate** failed — 12 of 80 route requests failed (5xx or no answer): 15.00 % is above the limit of 1.00 %.
      Traffic was rolled back to legacy automatically.

      **What next**

      - Read the new service's log around the failed window, and the differing answers: npx strangler compare report.
      - The route is on legacy again; once fixed, run npx strangler rehearse products again.

      | stage | result | took |
      | --- | --- | --- |
      | stage 4 · canary 5 % | failed | 10 s |

      ### stage 4 · canary 5 % — failed

      | gate | value | limit | result |
      | --- | --- | --- | --- |
      | error rate | 15.00 % | ≤ 1.00 % | **FAIL**: 12 of 80 route requests failed (5xx or no answer): 15.00 % is above the limit of 1.00 % |
      | p99 latency | 30 ms | ≤ 45 ms | pass |

      requests: **80** · served by: **legacy 68, new 12**

      - rolled back: the route is served by legacy again

      ### stage 5 · cutover — skipped

      Not reached.

      "
    `);
  });

  it('escapes figures in the HTML page', () => {
    const html = reportHtml({
      startedAt: 'a',
      finishedAt: 'b',
      system: { proxy: '<script>' },
      thresholds: parseThresholds({}, 'test'),
      routes: [rolledBack],
    });
    expect(html).toContain('&lt;script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).toContain('<tr class="fail"><td>error rate</td><td>15.00 %</td>');
  });

  it('draws each step against its limit, the share over time, and says where the figures came from', () => {
    const html = reportHtml({
      startedAt: 'a',
      finishedAt: 'b',
      system: { proxy: 'http://127.0.0.1:8080', 'proxy admin': 'http://127.0.0.1:8081' },
      provenance: { commit: 'abc1234', 'load seed': '7' },
      thresholds: parseThresholds({}, 'test'),
      routes: [rolledBack],
    });
    // the p99 bar (30 ms) under its dashed 45 ms limit; no mismatch gate, so no mismatch chart
    expect(html).toContain('aria-label="p99 per step against its limit (dashed)"');
    expect(html).toContain('<title>stage 4 · canary 5 %: 30 ms (limit 45 ms)</title>');
    expect(html).not.toContain('aria-label="mismatch rate per step');
    // the share: 5 % from the start, back to 0 at the rollback 10 s later
    expect(html).toContain('<title>stage 4 · canary 5 % at 0 s</title>');
    expect(html).toContain('<title>rolled back at 10 s</title>');
    expect(html).toContain('<li>commit: abc1234</li>');
    expect(html).toContain('http://127.0.0.1:8081/compare/records?route=products');
    expect(html).toContain('<td>stage 4 · canary 5 %</td><td>failed</td><td>10 s</td>');
  });
});
