import type { BackfillFigures, ParityFigures, ShadowFigures, TrafficFigures } from './figures.ts';
import type { Thresholds } from './thresholds.ts';

/**
 * One gate's verdict: the measured value, the limit, and a sentence saying why it did not pass.
 * `hold`: the gate had too few samples to judge (not enough evidence). A held gate never
 * passes; it holds the stage where it is rather than failing it (the rehearsal stops there,
 * nothing is rolled back).
 */
export interface GateResult {
  gate: string;
  value: number;
  limit: number;
  unit: 'rate' | 'ms' | 'rows' | 'requests';
  verdict: 'pass' | 'fail' | 'hold';
  /** verdict === 'pass'. */
  pass: boolean;
  /** Set when the gate did not pass: the figures in words, for the console and the report. */
  why?: string;
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

export function formatValue(value: number, unit: GateResult['unit']): string {
  if (unit === 'rate') return `${(value * 100).toFixed(2)} %`;
  if (unit === 'ms') return `${value} ms`;
  return String(value);
}

/** The samples a gate judges from, and how many it needs before its value means anything. */
interface Evidence {
  samples: number;
  min: number;
  /** What a sample is, plural: "route requests", "compared answers". */
  what: string;
}

function gate(
  name: string,
  value: number,
  limit: number,
  unit: GateResult['unit'],
  why: string,
  evidence: Evidence,
  higherIsBetter = false,
): GateResult {
  if (evidence.samples < evidence.min) {
    return {
      gate: name,
      value,
      limit,
      unit,
      verdict: 'hold',
      pass: false,
      why: `not enough evidence: ${evidence.samples} ${evidence.what}, at least ${evidence.min} needed`,
    };
  }
  const pass = higherIsBetter ? value >= limit : value <= limit;
  const cmp = higherIsBetter ? 'below the minimum' : 'above the limit';
  return {
    gate: name,
    value,
    limit,
    unit,
    verdict: pass ? 'pass' : 'fail',
    pass,
    ...(pass ? {} : { why: `${why}: ${formatValue(value, unit)} is ${cmp} of ${formatValue(limit, unit)}` }),
  };
}

/** A count that is itself the evidence (route traffic, comparisons made): below its minimum it holds. */
function countGate(name: string, count: number, min: number, what: string, why: string): GateResult {
  return gate(name, count, min, 'requests', why, { samples: count, min, what }, true);
}

/** The p99 a served route may reach: legacy's p99 × ratio, or legacy's p99 + slack, whichever is larger. */
export function p99Limit(legacyP99: number, t: Thresholds): number {
  return Math.round(Math.max(legacyP99 * t.gates.maxP99Ratio, legacyP99 + t.gates.p99SlackMs) * 10) / 10;
}

/**
 * Real differences over answers compared, judged on at least `minComparisons` of them. Noise
 * (dismissed by the comparison rules) and lag (equal once the new side caught up) count as
 * compared, never as mismatches. Dry-run writes are compared and counted like reads.
 */
function mismatchGate(
  f: { mismatches: number; compared: number; noise: number },
  limit: number,
  answers: string,
  minComparisons: number,
): GateResult {
  return gate(
    'mismatch rate',
    ratio(f.mismatches, f.compared),
    limit,
    'rate',
    `${f.mismatches} of ${f.compared} ${answers} differed (noise and lag excluded: ${f.noise})`,
    { samples: f.compared, min: minComparisons, what: answers },
  );
}

/**
 * Failures of a route's requests: 5xx and unanswered ones, and every compared answer whose
 * status differed from legacy's (a 404 or 400 where legacy answered 201 is a failure of the new
 * side, even though the client, served by legacy, saw none).
 */
function errorRateGate(
  name: string,
  failed: number,
  statusDifferences: number,
  requests: number,
  what: string,
  t: Thresholds,
  lead: string,
): GateResult {
  const statusPart =
    statusDifferences > 0
      ? ` and ${statusDifferences} compared answers had another status than legacy's`
      : '';
  return gate(
    name,
    ratio(failed + statusDifferences, requests),
    t.gates.maxErrorRate,
    'rate',
    `${lead}${statusPart}`,
    { samples: requests, min: t.traffic.minRequests, what },
  );
}

export function legacyGates(f: TrafficFigures, t: Thresholds): GateResult[] {
  return [
    countGate(
      'traffic',
      f.requests,
      t.traffic.minRequests,
      'route requests',
      'too little route traffic to measure a baseline',
    ),
    errorRateGate(
      'error rate',
      f.errors,
      0,
      f.requests,
      'route requests',
      t,
      `legacy itself failed ${f.errors} of ${f.requests} requests`,
    ),
  ];
}

export function parityGates(f: ParityFigures, t: Thresholds): GateResult[] {
  const evidence = {
    samples: f.requests,
    min: Math.min(t.parity.requests, t.traffic.minRequests),
    what: 'requests',
  };
  return [
    gate(
      'mismatch rate',
      ratio(f.mismatches, f.requests),
      t.parity.maxMismatchRate,
      'rate',
      `${f.mismatches} of ${f.requests} answers through the proxy differed from legacy direct`,
      evidence,
    ),
    gate(
      'error rate',
      ratio(f.errors, f.requests),
      t.gates.maxErrorRate,
      'rate',
      `${f.errors} of ${f.requests} requests through the proxy failed`,
      evidence,
    ),
  ];
}

export function backfillGates(f: BackfillFigures, t: Thresholds): GateResult[] {
  return f.tables.map((c) => {
    const bad = c.missing + c.extra + c.different;
    return gate(
      `rows of ${c.table}`,
      bad,
      t.backfill.maxMismatchedRows,
      'rows',
      `${c.table}: legacy ${c.legacyRows} rows, service ${c.serviceRows}; ${c.missing} missing, ${c.extra} extra, ${c.different} with a different checksum`,
      // two empty tables agree on nothing
      { samples: Math.max(c.legacyRows, c.serviceRows), min: 1, what: `rows in ${c.table}` },
    );
  });
}

export function shadowGates(f: ShadowFigures, t: Thresholds): GateResult[] {
  const minCompared = Math.min(t.shadow.requests, t.traffic.minRequests);
  return [
    countGate(
      'compared',
      f.compared,
      minCompared,
      'shadow comparisons',
      'too few shadow comparisons were made',
    ),
    mismatchGate(
      f,
      t.shadow.maxMismatchRate,
      'shadow answers',
      Math.min(minCompared, t.gates.minComparisons),
    ),
    gate(
      'shadow error rate',
      ratio(f.shadowErrors + f.statusDifferences, f.requests),
      t.gates.maxErrorRate,
      'rate',
      `${f.shadowErrors} of ${f.requests} shadow requests could not be compared (the new service did not answer, or a body was over the comparison cap)${
        f.statusDifferences > 0
          ? ` and ${f.statusDifferences} compared answers had another status than legacy's`
          : ''
      }`,
      { samples: f.requests, min: minCompared, what: 'shadow requests' },
    ),
  ];
}

/** Canary steps and the cutover bake: the gates that can roll a route back. */
export function servingGates(f: TrafficFigures, legacyP99: number, t: Thresholds): GateResult[] {
  const requests = { samples: f.requests, min: t.traffic.minRequests, what: 'route requests' };
  return [
    countGate(
      'traffic',
      f.requests,
      t.traffic.minRequests,
      'route requests',
      'too little route traffic to judge the step',
    ),
    errorRateGate(
      'error rate',
      f.errors,
      f.statusDifferences,
      f.requests,
      'route requests',
      t,
      `${f.errors} of ${f.requests} route requests failed (5xx or no answer)`,
    ),
    gate(
      'p99 latency',
      f.p99,
      p99Limit(legacyP99, t),
      'ms',
      `route p99 against legacy's ${legacyP99} ms`,
      requests,
    ),
    mismatchGate(f, t.gates.maxMismatchRate, 'compared answers', t.gates.minComparisons),
    gate(
      'fallback rate',
      ratio(f.fallbacks, f.requests),
      t.gates.maxFallbackRate,
      'rate',
      `legacy had to answer ${f.fallbacks} of ${f.requests} requests the new service failed`,
      requests,
    ),
  ];
}
