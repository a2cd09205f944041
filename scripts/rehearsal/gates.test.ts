import { describe, expect, it } from 'vitest';
import { type RehearsalPorts, rehearseRoute, type ShiftTarget } from './engine.ts';
import type { ShadowFigures, TrafficFigures } from './figures.ts';
import { backfillGates, servingGates, shadowGates } from './gates.ts';
import { parseThresholds } from './thresholds.ts';

const t = parseThresholds(
  { canary: { steps: [5, 25], stepDurationMs: 1000 }, cutover: { bakeMs: 1000 } },
  'test',
);

const traffic = (over: Partial<TrafficFigures> = {}): TrafficFigures => ({
  requests: 150,
  errors: 0,
  p50: 3,
  p99: 20,
  compared: 60,
  mismatches: 0,
  noise: 0,
  fallbacks: 0,
  statusDifferences: 0,
  servedBy: { legacy: 150 },
  examples: [],
  ...over,
});
const shadow = (over: Partial<ShadowFigures> = {}): ShadowFigures => ({
  requests: 200,
  compared: 200,
  mismatches: 0,
  noise: 0,
  shadowErrors: 0,
  statusDifferences: 0,
  examples: [],
  ...over,
});
const byName = (gates: ReturnType<typeof servingGates>, name: string) => gates.find((g) => g.gate === name)!;

describe('gates need evidence', () => {
  it('the mismatch gate holds on zero comparisons, and on fewer than gates.minComparisons; never passes', () => {
    for (const compared of [0, t.gates.minComparisons - 1]) {
      const g = byName(servingGates(traffic({ compared }), 20, t), 'mismatch rate');
      expect(g).toMatchObject({ verdict: 'hold', pass: false });
      expect(g.why).toBe(
        `not enough evidence: ${compared} compared answers, at least ${t.gates.minComparisons} needed`,
      );
    }
    expect(
      byName(servingGates(traffic({ compared: t.gates.minComparisons }), 20, t), 'mismatch rate'),
    ).toMatchObject({
      verdict: 'pass',
    });
  });

  it('every rate gate of a step holds on too little traffic', () => {
    const gates = servingGates(traffic({ requests: t.traffic.minRequests - 1 }), 20, t);
    expect(gates.filter((g) => g.gate !== 'mismatch rate').map((g) => [g.gate, g.verdict])).toEqual([
      ['traffic', 'hold'],
      ['error rate', 'hold'],
      ['p99 latency', 'hold'],
      ['fallback rate', 'hold'],
    ]);
  });

  it('shadow gates hold on too few comparisons, and a backfill of two empty tables holds', () => {
    expect(shadowGates(shadow({ compared: 2 }), t).map((g) => g.verdict)).toEqual(['hold', 'hold', 'pass']);
    const empty = {
      table: 'products',
      legacyRows: 0,
      serviceRows: 0,
      missing: 0,
      extra: 0,
      different: 0,
      examples: [],
    };
    expect(backfillGates({ tables: [empty], lagMs: 0, waitedMs: 0 }, t)[0]).toMatchObject({
      verdict: 'hold',
    });
  });
});

describe('a status different from legacy is an error', () => {
  it("fails the error-rate gate of a step even though every client got legacy's answer", () => {
    const g = byName(servingGates(traffic({ statusDifferences: 3 }), 20, t), 'error rate');
    expect(g).toMatchObject({ verdict: 'fail', value: 3 / 150 });
    expect(g.why).toBe(
      "0 of 150 route requests failed (5xx or no answer) and 3 compared answers had another status than legacy's: 2.00 % is above the limit of 1.00 %",
    );
  });

  it('fails the shadow error-rate gate', () => {
    const [, , errors] = shadowGates(shadow({ statusDifferences: 4 }), t);
    expect(errors).toMatchObject({ gate: 'shadow error rate', verdict: 'fail', value: 4 / 200 });
  });
});

describe('a held stage in the rehearsal', () => {
  function ports(step: (to: ShiftTarget) => TrafficFigures) {
    const shifts: ShiftTarget[] = [];
    let current: ShiftTarget = 'legacy';
    const p: RehearsalPorts = {
      shift: async (_r, to) => {
        shifts.push(to);
        current = to;
      },
      legacyBaseline: async () => traffic({ compared: 0 }),
      parity: async () => ({
        requests: 60,
        mismatches: 0,
        errors: 0,
        p99Proxy: 9,
        p99Direct: 8,
        examples: [],
      }),
      backfill: async () => ({
        tables: [
          {
            table: 'products',
            legacyRows: 5,
            serviceRows: 5,
            missing: 0,
            extra: 0,
            different: 0,
            examples: [],
          },
        ],
        lagMs: 0,
        waitedMs: 1,
      }),
      shadow: async () => shadow(),
      traffic: async () => step(current),
    };
    return { p, shifts };
  }

  it('stops the route where it is, not passed, not rolled back, naming the gate', async () => {
    const { p, shifts } = ports((to) => (to === 5 ? traffic({ compared: 2 }) : traffic()));
    const r = await rehearseRoute('products', p, t);
    expect(r.outcome).toBe('held');
    expect(r.rolledBackTo).toBeUndefined();
    expect(shifts).toEqual(['legacy', 'shadow', 5]);
    expect(r.failure).toMatchObject({ stage: 4, step: '5 %', gate: 'mismatch rate' });
    expect(r.stages.find((s) => s.step === '5 %')?.status).toBe('held');
    expect(r.stages.find((s) => s.stage === 5)?.status).toBe('skipped');
  });

  it('a failing gate wins over a held one: the step fails and is rolled back', async () => {
    const { p, shifts } = ports((to) =>
      to === 5 ? traffic({ compared: 2, statusDifferences: 9 }) : traffic(),
    );
    const r = await rehearseRoute('products', p, t);
    expect(r.outcome).toBe('rolled-back');
    expect(r.failure).toMatchObject({ gate: 'error rate' });
    expect(shifts.at(-1)).toBe('legacy');
  });
});
