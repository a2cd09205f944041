import type { BackfillFigures, ParityFigures, ShadowFigures, TrafficFigures } from './figures.ts';
import type { Thresholds } from './thresholds.ts';

/** One gate's verdict: the measured value, the limit, and a sentence saying why it failed. */
export interface GateResult {
  gate: string;
  value: number;
  limit: number;
  unit: 'rate' | 'ms' | 'rows' | 'requests';
  pass: boolean;
  /** Set when the gate failed: the figures in words, for the console and the report. */
  why?: string;
}

const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : 0);

export function formatValue(value: number, unit: GateResult['unit']): string {
  if (unit === 'rate') return `${(value * 100).toFixed(2)} %`;
  if (unit === 'ms') return `${value} ms`;
  return String(value);
}

function gate(
  name: string,
  value: number,
  limit: number,
  unit: GateResult['unit'],
  why: string,
  higherIsBetter = false,
): GateResult {
  const pass = higherIsBetter ? value >= limit : value <= limit;
  const cmp = higherIsBetter ? 'below the minimum' : 'above the limit';
  return {
    gate: name,
    value,
    limit,
    unit,
    pass,
    ...(pass ? {} : { why: `${why}: ${formatValue(value, unit)} is ${cmp} of ${formatValue(limit, unit)}` }),
  };
}

/** The p99 a served route may reach: legacy's p99 × ratio, or legacy's p99 + slack, whichever is larger. */
export function p99Limit(legacyP99: number, t: Thresholds): number {
  return Math.round(Math.max(legacyP99 * t.gates.maxP99Ratio, legacyP99 + t.gates.p99SlackMs) * 10) / 10;
}

/**
 * Real differences over answers compared. Noise (dismissed by the comparison rules) and lag
 * (equal once the new side caught up) count as compared, never as mismatches.
 */
function mismatchGate(
  f: { mismatches: number; compared: number; noise: number },
  limit: number,
  answers: string,
): GateResult {
  return gate(
    'mismatch rate',
    ratio(f.mismatches, f.compared),
    limit,
    'rate',
    `${f.mismatches} of ${f.compared} ${answers} differed (noise and lag excluded: ${f.noise})`,
  );
}

export function legacyGates(f: TrafficFigures, t: Thresholds): GateResult[] {
  return [
    gate(
      'traffic',
      f.requests,
      t.traffic.minRequests,
      'requests',
      'too little route traffic to measure a baseline',
      true,
    ),
    gate(
      'error rate',
      ratio(f.errors, f.requests),
      t.gates.maxErrorRate,
      'rate',
      `legacy itself failed ${f.errors} of ${f.requests} requests`,
    ),
  ];
}

export function parityGates(f: ParityFigures, t: Thresholds): GateResult[] {
  return [
    gate(
      'mismatch rate',
      ratio(f.mismatches, f.requests),
      t.parity.maxMismatchRate,
      'rate',
      `${f.mismatches} of ${f.requests} answers through the proxy differed from legacy direct`,
    ),
    gate(
      'error rate',
      ratio(f.errors, f.requests),
      t.gates.maxErrorRate,
      'rate',
      `${f.errors} of ${f.requests} requests through the proxy failed`,
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
    );
  });
}

export function shadowGates(f: ShadowFigures, t: Thresholds): GateResult[] {
  return [
    gate(
      'compared',
      f.compared,
      Math.min(t.shadow.requests, t.traffic.minRequests),
      'requests',
      'too few shadow comparisons were made',
      true,
    ),
    mismatchGate(f, t.shadow.maxMismatchRate, 'shadow answers'),
    gate(
      'shadow error rate',
      ratio(f.shadowErrors, f.requests),
      t.gates.maxErrorRate,
      'rate',
      `${f.shadowErrors} of ${f.requests} shadow requests could not be compared (the new service did not answer, or a body was over the comparison cap)`,
    ),
  ];
}

/** Canary steps and the cutover bake: the four gates that can roll a route back. */
export function servingGates(f: TrafficFigures, legacyP99: number, t: Thresholds): GateResult[] {
  return [
    gate(
      'traffic',
      f.requests,
      t.traffic.minRequests,
      'requests',
      'too little route traffic to judge the step',
      true,
    ),
    gate(
      'error rate',
      ratio(f.errors, f.requests),
      t.gates.maxErrorRate,
      'rate',
      `${f.errors} of ${f.requests} route requests failed (5xx or no answer)`,
    ),
    gate('p99 latency', f.p99, p99Limit(legacyP99, t), 'ms', `route p99 against legacy's ${legacyP99} ms`),
    mismatchGate(f, t.gates.maxMismatchRate, 'compared answers'),
    gate(
      'fallback rate',
      ratio(f.fallbacks, f.requests),
      t.gates.maxFallbackRate,
      'rate',
      `legacy had to answer ${f.fallbacks} of ${f.requests} requests the new service failed`,
    ),
  ];
}
