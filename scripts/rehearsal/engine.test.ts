import { describe, expect, it } from 'vitest';
import { type RehearsalPorts, rehearseRoute, type ShiftTarget } from './engine.ts';
import type { TrafficFigures } from './figures.ts';
import { parseThresholds } from './thresholds.ts';

const t = parseThresholds(
  { canary: { steps: [5, 25, 50], stepDurationMs: 1000 }, cutover: { bakeMs: 1000 } },
  'test',
);

const healthy = (over: Partial<TrafficFigures> = {}): TrafficFigures => ({
  requests: 200,
  errors: 0,
  p50: 3,
  p99: 20,
  compared: 100,
  mismatches: 0,
  noise: 2,
  fallbacks: 0,
  statusDifferences: 0,
  servedBy: { new: 100, legacy: 100 },
  examples: [],
  ...over,
});

/** Ports that record every shift and answer from a script, so each decision can be checked. */
function scriptedPorts(traffic: (step: ShiftTarget) => TrafficFigures, over: Partial<RehearsalPorts> = {}) {
  const shifts: ShiftTarget[] = [];
  let current: ShiftTarget = 'legacy';
  const ports: RehearsalPorts = {
    shift: async (_route, to) => {
      shifts.push(to);
      current = to;
    },
    legacyBaseline: async () => healthy({ p99: 20, compared: 0, servedBy: {} }),
    parity: async () => ({ requests: 60, mismatches: 0, errors: 0, p99Proxy: 9, p99Direct: 8, examples: [] }),
    backfill: async () => ({
      tables: [
        {
          table: 'products',
          legacyRows: 500,
          serviceRows: 500,
          missing: 0,
          extra: 0,
          different: 0,
          examples: [],
        },
      ],
      lagMs: 0,
      waitedMs: 10,
    }),
    shadow: async () => ({
      requests: 200,
      compared: 200,
      mismatches: 1,
      noise: 4,
      shadowErrors: 0,
      statusDifferences: 0,
      examples: [],
    }),
    traffic: async () => traffic(current),
    ...over,
  };
  return { ports, shifts };
}

describe('rehearseRoute', () => {
  it('walks a healthy route through every stage and leaves it on the new service', async () => {
    const { ports, shifts } = scriptedPorts(() => healthy());
    const r = await rehearseRoute('products', ports, t);
    expect(r.outcome).toBe('migrated');
    expect(shifts).toEqual(['legacy', 'shadow', 5, 25, 50, 100]);
    expect(r.stages.map((s) => `${s.stage}${s.step ? ` ${s.step}` : ''}:${s.status}`)).toEqual([
      '0:passed',
      '1:passed',
      '2:passed',
      '3:passed',
      '4 5 %:passed',
      '4 25 %:passed',
      '4 50 %:passed',
      '5 100 %:passed',
      '6:passed',
    ]);
    expect(r.failure).toBeUndefined();
  });

  it('rolls back to legacy when the error-rate gate fails at the 25 % step, and names the gate', async () => {
    const { ports, shifts } = scriptedPorts((step) =>
      step === 25 ? healthy({ errors: 9, requests: 150 }) : healthy(),
    );
    const r = await rehearseRoute('products', ports, t);
    expect(r.outcome).toBe('rolled-back');
    expect(shifts).toEqual(['legacy', 'shadow', 5, 25, 'legacy']);
    expect(r.failure).toEqual({
      stage: 4,
      step: '25 %',
      gate: 'error rate',
      why: '9 of 150 route requests failed (5xx or no answer): 6.00 % is above the limit of 1.00 %',
    });
    expect(r.rolledBackTo).toBe('legacy');
    expect(r.stages.filter((s) => s.status === 'skipped').map((s) => s.stage)).toEqual([5, 6]);
  });

  it('judges p99 against legacy × ratio or legacy + slack, whichever is larger', async () => {
    // legacy p99 20 ms → limit max(30, 45) = 45 ms
    const { ports } = scriptedPorts((step) => (step === 50 ? healthy({ p99: 46 }) : healthy({ p99: 45 })));
    const r = await rehearseRoute('orders', ports, t);
    expect(r.failure).toMatchObject({ stage: 4, step: '50 %', gate: 'p99 latency' });
    expect(r.failure?.why).toBe("route p99 against legacy's 20 ms: 46 ms is above the limit of 45 ms");
  });

  it('rolls back during the cutover bake when fallbacks appear', async () => {
    const { ports, shifts } = scriptedPorts((step) => (step === 100 ? healthy({ fallbacks: 5 }) : healthy()));
    const r = await rehearseRoute('orders', ports, t);
    expect(r.outcome).toBe('rolled-back');
    expect(r.failure).toMatchObject({ stage: 5, gate: 'fallback rate' });
    expect(shifts.at(-1)).toBe('legacy');
  });

  it('stops before any shadow traffic when the backfill differs, listing the table figures', async () => {
    const { ports, shifts } = scriptedPorts(() => healthy(), {
      backfill: async () => ({
        tables: [
          {
            table: 'products',
            legacyRows: 500,
            serviceRows: 498,
            missing: 2,
            extra: 0,
            different: 1,
            examples: ['products id 7: checksum differs'],
          },
        ],
        lagMs: 0,
        waitedMs: 5,
      }),
    });
    const r = await rehearseRoute('products', ports, t);
    expect(r.outcome).toBe('stopped');
    expect(shifts).toEqual(['legacy']);
    expect(r.failure).toMatchObject({ stage: 2, gate: 'rows of products' });
    expect(r.failure?.why).toContain('2 missing, 0 extra, 1 with a different checksum');
  });

  it('stops at the shadow stage when the comparison engine could not compare the copies', async () => {
    const { ports, shifts } = scriptedPorts(() => healthy(), {
      shadow: async () => ({
        requests: 200,
        compared: 190,
        mismatches: 0,
        noise: 0,
        shadowErrors: 10,
        statusDifferences: 0,
        examples: [],
      }),
    });
    const r = await rehearseRoute('products', ports, t);
    expect(r.outcome).toBe('stopped');
    expect(shifts).toEqual(['legacy', 'shadow', 'legacy']);
    expect(r.failure).toMatchObject({ stage: 3, gate: 'shadow error rate' });
    expect(r.failure?.why).toContain('10 of 200 shadow requests could not be compared');
  });

  it('counts noise and lag as compared but never as mismatches in the mismatch-rate gate', async () => {
    const noisy = scriptedPorts((step) =>
      step === 25 ? healthy({ compared: 100, mismatches: 0, noise: 60 }) : healthy(),
    );
    expect((await rehearseRoute('products', noisy.ports, t)).outcome).toBe('migrated');
    const differing = scriptedPorts((step) =>
      step === 25 ? healthy({ compared: 100, mismatches: 3, noise: 60 }) : healthy(),
    );
    const r = await rehearseRoute('products', differing.ports, t);
    expect(r.failure).toMatchObject({ stage: 4, step: '25 %', gate: 'mismatch rate' });
    expect(r.failure?.why).toBe(
      '3 of 100 compared answers differed (noise and lag excluded: 60): 3.00 % is above the limit of 1.00 %',
    );
  });

  it('does not pass a canary step on too little traffic', async () => {
    const { ports } = scriptedPorts((step) => (step === 5 ? healthy({ requests: 3 }) : healthy()));
    const r = await rehearseRoute('products', ports, t);
    expect(r.failure).toMatchObject({ stage: 4, step: '5 %', gate: 'traffic' });
  });

  it('turns a failing port into an error outcome and still puts the route on legacy', async () => {
    const { ports, shifts } = scriptedPorts(() => {
      throw new Error('proxy admin API refused the connection');
    });
    const r = await rehearseRoute('products', ports, t);
    expect(r.outcome).toBe('error');
    expect(r.failure).toMatchObject({
      stage: 4,
      step: '5 %',
      gate: 'error',
      why: 'proxy admin API refused the connection',
    });
    expect(shifts.at(-1)).toBe('legacy');
  });
});
