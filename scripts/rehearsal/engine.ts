import type { BackfillFigures, ParityFigures, ShadowFigures, TrafficFigures } from './figures.ts';
import {
  backfillGates,
  type GateResult,
  legacyGates,
  parityGates,
  servingGates,
  shadowGates,
} from './gates.ts';
import { type StageId, stages } from './stages.ts';
import type { Thresholds } from './thresholds.ts';

/** Where the route's traffic goes: all legacy, legacy with a shadow copy, or a share to the new service. */
export type ShiftTarget = 'legacy' | 'shadow' | number;

/**
 * The side effects a rehearsal needs, behind one interface so the engine's decisions (order,
 * gates, rollback) are tested on their own; live-ports.ts implements them against the
 * running system.
 */
export interface RehearsalPorts {
  shift(route: string, to: ShiftTarget): Promise<void>;
  /** Stage 0: route traffic straight to legacy. */
  legacyBaseline(
    route: string,
    t: Thresholds,
    onProgress?: (fraction: number) => void,
  ): Promise<TrafficFigures>;
  parity(route: string, t: Thresholds): Promise<ParityFigures>;
  /** Stage 2: waits (up to the settle timeout) for the store to agree; progress is that wait. */
  backfill(route: string, t: Thresholds, onProgress?: (fraction: number) => void): Promise<BackfillFigures>;
  shadow(route: string, t: Thresholds): Promise<ShadowFigures>;
  /** Load through the proxy for `durationMs`; figures are for this route and this window only. */
  traffic(
    route: string,
    durationMs: number,
    t: Thresholds,
    onProgress?: (fraction: number) => void,
  ): Promise<TrafficFigures>;
}

/** `held`: no gate failed but one had too few samples to judge; the route stays at the stage. */
export type StageStatus = 'passed' | 'failed' | 'held' | 'skipped';

export interface StageOutcome {
  stage: StageId;
  title: string;
  /** The canary step, e.g. "5 %". */
  step?: string;
  status: StageStatus;
  gates: GateResult[];
  figures: Record<string, number | string>;
  notes: string[];
  ms: number;
}

export type RouteOutcome = 'migrated' | 'rolled-back' | 'stopped' | 'held' | 'error';

export interface RouteRehearsal {
  route: string;
  outcome: RouteOutcome;
  stages: StageOutcome[];
  /** The gate that stopped the route, and why (absent when it was migrated). */
  failure?: { stage: StageId; step?: string; gate: string; why: string };
  rolledBackTo?: 'legacy';
  startedAt: string;
  finishedAt: string;
}

export interface RehearsalEvents {
  stageStarted?(route: string, stage: StageId, step?: string): void;
  stageFinished?(route: string, outcome: StageOutcome): void;
  progress?(route: string, stage: StageId, fraction: number): void;
}

const trafficFigures = (f: TrafficFigures): Record<string, number | string> => ({
  requests: f.requests,
  errors: f.errors,
  'p50 ms': f.p50,
  'p99 ms': f.p99,
  compared: f.compared,
  mismatches: f.mismatches,
  noise: f.noise,
  fallbacks: f.fallbacks,
  'served by':
    Object.entries(f.servedBy)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || '-',
});

/** Says so when a window had nothing for the mismatch gate to judge, rather than passing it silently. */
function servingNotes(f: TrafficFigures): string[] {
  const notes = [...f.examples];
  if (f.compared === 0 && f.requests > 0) {
    notes.unshift(
      'no comparisons were recorded in this window: the mismatch gate had nothing to judge and holds the step (is the comparison engine attached to the proxy?)',
    );
  }
  return notes;
}

/**
 * Walks one route through stages 0-6. Stops at the first failed gate; from stage 4 on, a
 * failure shifts the route back to legacy before anything else happens (the rollback is the
 * point of the exercise, so it runs even if reporting later fails).
 */
export async function rehearseRoute(
  route: string,
  ports: RehearsalPorts,
  t: Thresholds,
  events: RehearsalEvents = {},
): Promise<RouteRehearsal> {
  const startedAt = new Date().toISOString();
  const done: StageOutcome[] = [];
  let legacyP99 = 0;
  let current: { stage: StageId; step?: string } = { stage: 0 };

  const run = async (
    stage: StageId,
    step: string | undefined,
    body: () => Promise<{ gates: GateResult[]; figures: Record<string, number | string>; notes?: string[] }>,
  ): Promise<StageOutcome> => {
    current = { stage, ...(step ? { step } : {}) };
    events.stageStarted?.(route, stage, step);
    const began = performance.now();
    const r = await body();
    const outcome: StageOutcome = {
      stage,
      title: stages[stage].title,
      ...(step ? { step } : {}),
      status: r.gates.some((g) => g.verdict === 'fail')
        ? 'failed'
        : r.gates.some((g) => g.verdict === 'hold')
          ? 'held'
          : 'passed',
      gates: r.gates,
      figures: r.figures,
      notes: r.notes ?? [],
      ms: Math.round(performance.now() - began),
    };
    done.push(outcome);
    events.stageFinished?.(route, outcome);
    return outcome;
  };

  const finish = (outcome: RouteOutcome, extra: Partial<RouteRehearsal> = {}): RouteRehearsal => {
    for (const s of stages) {
      if (!done.some((d) => d.stage === s.id)) {
        done.push({
          stage: s.id,
          title: s.title,
          status: 'skipped',
          gates: [],
          figures: {},
          notes: [],
          ms: 0,
        });
      }
    }
    return { route, outcome, stages: done, startedAt, finishedAt: new Date().toISOString(), ...extra };
  };

  const failureOf = (o: StageOutcome) => {
    const g = o.gates.find((x) => x.verdict === 'fail') ?? o.gates.find((x) => !x.pass)!;
    return { stage: o.stage, ...(o.step ? { step: o.step } : {}), gate: g.gate, why: g.why ?? g.gate };
  };

  // Not enough evidence: the stage neither passes nor fails. The route stays where it is (no
  // rollback: nothing was found wrong), and the rehearsal stops there.
  const hold = (o: StageOutcome): RouteRehearsal => {
    o.notes.push('held: not enough evidence to judge this stage; the route stays at it');
    return finish('held', { failure: failureOf(o) });
  };

  const rollback = async (o: StageOutcome): Promise<RouteRehearsal> => {
    await ports.shift(route, 'legacy');
    o.notes.push('rolled back: the route is served by legacy again');
    return finish('rolled-back', { failure: failureOf(o), rolledBackTo: 'legacy' });
  };

  try {
    const s0 = await run(0, undefined, async () => {
      await ports.shift(route, 'legacy');
      const f = await ports.legacyBaseline(route, t, (x) => events.progress?.(route, 0, x));
      legacyP99 = f.p99;
      return { gates: legacyGates(f, t), figures: trafficFigures(f) };
    });
    if (s0.status === 'held') return hold(s0);
    if (s0.status === 'failed') return finish('stopped', { failure: failureOf(s0) });

    const s1 = await run(1, undefined, async () => {
      const f = await ports.parity(route, t);
      return {
        gates: parityGates(f, t),
        figures: {
          requests: f.requests,
          mismatches: f.mismatches,
          errors: f.errors,
          'p99 via proxy ms': f.p99Proxy,
          'p99 direct ms': f.p99Direct,
        },
        notes: f.examples,
      };
    });
    if (s1.status === 'held') return hold(s1);
    if (s1.status === 'failed') return finish('stopped', { failure: failureOf(s1) });

    const s2 = await run(2, undefined, async () => {
      const f = await ports.backfill(route, t, (x) => events.progress?.(route, 2, x));
      const figures: Record<string, number | string> = {
        'projection lag ms': f.lagMs ?? 'unknown',
        'waited ms': f.waitedMs,
      };
      for (const c of f.tables) figures[c.table] = `${c.legacyRows} legacy / ${c.serviceRows} service rows`;
      return { gates: backfillGates(f, t), figures, notes: f.tables.flatMap((c) => c.examples) };
    });
    if (s2.status === 'held') return hold(s2);
    if (s2.status === 'failed') return finish('stopped', { failure: failureOf(s2) });

    const s3 = await run(3, undefined, async () => {
      await ports.shift(route, 'shadow');
      const f = await ports.shadow(route, t);
      return {
        gates: shadowGates(f, t),
        figures: {
          requests: f.requests,
          compared: f.compared,
          mismatches: f.mismatches,
          noise: f.noise,
          'shadow errors': f.shadowErrors,
        },
        notes: f.examples,
      };
    });
    if (s3.status === 'held') return hold(s3);
    if (s3.status === 'failed') {
      await ports.shift(route, 'legacy');
      return finish('stopped', { failure: failureOf(s3), rolledBackTo: 'legacy' });
    }

    for (const percent of t.canary.steps) {
      const o = await run(4, `${percent} %`, async () => {
        await ports.shift(route, percent);
        const f = await ports.traffic(route, t.canary.stepDurationMs, t, (x) =>
          events.progress?.(route, 4, x),
        );
        return { gates: servingGates(f, legacyP99, t), figures: trafficFigures(f), notes: servingNotes(f) };
      });
      if (o.status === 'held') return hold(o);
      if (o.status === 'failed') return await rollback(o);
    }

    const s5 = await run(5, '100 %', async () => {
      await ports.shift(route, 100);
      const f = await ports.traffic(route, t.cutover.bakeMs, t, (x) => events.progress?.(route, 5, x));
      return { gates: servingGates(f, legacyP99, t), figures: trafficFigures(f), notes: servingNotes(f) };
    });
    if (s5.status === 'held') return hold(s5);
    if (s5.status === 'failed') return await rollback(s5);

    await run(6, undefined, async () => ({
      gates: [],
      figures: { serving: 'new service, 100 %' },
      notes: [],
    }));
    return finish('migrated');
  } catch (err) {
    // A port failed (proxy admin down, database gone): put the route back on legacy if we can.
    const message = err instanceof Error ? err.message : String(err);
    let rolledBack = false;
    try {
      await ports.shift(route, 'legacy');
      rolledBack = true;
    } catch {
      // the shift itself is what failed; the report says the route may not be on legacy
    }
    const why = `${message}${rolledBack ? '' : ' (and the rollback to legacy failed too: check `strangler status`)'}`;
    const failed: StageOutcome = {
      stage: current.stage,
      title: stages[current.stage].title,
      ...(current.step ? { step: current.step } : {}),
      status: 'failed',
      gates: [],
      figures: {},
      notes: [why],
      ms: 0,
    };
    done.push(failed);
    events.stageFinished?.(route, failed);
    return finish('error', {
      failure: { ...current, gate: 'error', why },
      ...(rolledBack ? { rolledBackTo: 'legacy' as const } : {}),
    });
  }
}
