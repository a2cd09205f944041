import { ToolkitError } from '../../lib/errors.ts';
import { type Answer, diffAnswers, type FieldDiff } from './diff.ts';
import { recheckAfterCatchUp } from './lag-recheck.ts';
import { type CompareRulesInput, type CompiledRules, compileRules } from './rules.ts';
import { createSender } from './send.ts';
import { LegacyPositionSource } from './source-position.ts';

/**
 * The comparison as a library call for a team's own test suites (and for `compare replay`):
 * send each request to legacy and to the candidate, diff under the rules, and report.
 *
 *   const report = await compareEndpoints({ legacyUrl, candidateUrl, requests: ['/products/1'] });
 *   expect(report.pass, report.summary).toBe(true);
 *
 * With `legacyMysqlUrl`, a difference from a candidate whose store is behind the legacy database
 * (its `x-strangler-source-position` header) is re-checked once it caught up, as the proxy does:
 * equal then → `lag`, which does not fail `pass`.
 */
export interface EndpointRequest {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: Buffer | string;
  /** Groups results in the report (e.g. the proxy route id). */
  routeId?: string;
  /** Per-request origins (a replay spans routes with their own upstreams); else the options'. */
  legacyUrl?: string;
  candidateUrl?: string;
}

export interface EndpointResult {
  request: { method: string; path: string; routeId?: string };
  /** `lag`: differed while the candidate was behind legacy's database, equal once it caught up. */
  outcome: 'match' | 'mismatch' | 'noise' | 'lag' | 'error';
  legacyStatus?: number;
  newStatus?: number;
  diffs: FieldDiff[];
  noise: FieldDiff[];
  error?: string;
  /** Why a result is `lag` (the candidate's position before it caught up). */
  note?: string;
}

export interface CompareEndpointsReport {
  pass: boolean;
  total: number;
  matched: number;
  mismatched: number;
  noise: number;
  lag: number;
  errors: number;
  results: EndpointResult[];
  /** The most frequent differing fields of the mismatches, with how often and one example. */
  topFields: { field: string; count: number; example: FieldDiff }[];
  summary: string;
}

export interface CompareEndpointsOptions {
  /** Origins of the two sides, e.g. http://127.0.0.1:3000; a request may name its own. */
  legacyUrl?: string;
  candidateUrl?: string;
  requests: (EndpointRequest | string)[];
  rules?: CompareRulesInput | ((req: EndpointRequest) => CompareRulesInput | undefined);
  /** Ask legacy twice per request; fields that differ between the two are noise. Default true. */
  noiseCheck?: boolean;
  concurrency?: number;
  timeoutMs?: number;
  /**
   * The legacy database (mysql://…), whose binlog position (SHOW MASTER STATUS) tells whether a
   * differing candidate was only behind; without it nothing is classified as lag. The pool
   * opened on it is closed before compareEndpoints returns.
   */
  legacyMysqlUrl?: string;
  /** How long a candidate behind legacy may take to catch up before the difference counts. Default 5000 ms. */
  lagWaitMs?: number;
  onResult?: (result: EndpointResult) => void;
}

export class CompareEndpointsError extends ToolkitError {}

export async function compareEndpoints(options: CompareEndpointsOptions): Promise<CompareEndpointsReport> {
  const requests = options.requests.map((r) => (typeof r === 'string' ? { path: r } : r));
  const unaddressed = requests.find(
    (r) => !(r.legacyUrl ?? options.legacyUrl) || !(r.candidateUrl ?? options.candidateUrl),
  );
  if (unaddressed) {
    throw new CompareEndpointsError(
      'PROXY_ERR_COMPARE_NO_ORIGIN',
      `compareEndpoints: no legacy or candidate URL for ${unaddressed.method ?? 'GET'} ${unaddressed.path}; pass legacyUrl and candidateUrl (e.g. http://127.0.0.1:3000)`,
    );
  }
  const positions = options.legacyMysqlUrl ? await openPositions(options.legacyMysqlUrl) : undefined;
  const send = createSender({ timeoutMs: options.timeoutMs });
  const rulesFor = rulesCache(options.rules);
  const results: EndpointResult[] = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      results[i] = await compareOne(requests[i]!, options, { send, rulesFor, positions });
      options.onResult?.(results[i]!);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  } finally {
    await Promise.all([send.close(), positions?.close()]);
  }
  return summarise(results);
}

/**
 * Asked for lag classification, a database that cannot tell its position (unreachable, or the
 * binlog off) is an error at once: otherwise every lagging answer would quietly be a mismatch.
 */
async function openPositions(mysqlUrl: string): Promise<LegacyPositionSource> {
  const positions = new LegacyPositionSource(mysqlUrl);
  const at = await positions.current().catch((err: Error) => err);
  if (at instanceof Error || !at) {
    await positions.close().catch(() => undefined);
    throw new CompareEndpointsError(
      'PROXY_ERR_COMPARE_LEGACY_POSITION',
      `compareEndpoints: cannot read the legacy database's binlog position (SHOW MASTER STATUS) through legacyMysqlUrl: ${
        at instanceof Error ? at.message : 'no binlog (is log_bin on?)'
      }`,
      { cause: at instanceof Error ? at : undefined },
    );
  }
  return positions;
}

/** Rules compile once per distinct rules object, not once per request. */
function rulesCache(rules: CompareEndpointsOptions['rules']): (req: EndpointRequest) => CompiledRules {
  const compiled = new WeakMap<object, CompiledRules>();
  const plain = compileRules();
  return (req) => {
    const input = typeof rules === 'function' ? rules(req) : rules;
    if (!input) return plain;
    let c = compiled.get(input);
    if (!c) {
      c = compileRules(input);
      compiled.set(input, c);
    }
    return c;
  };
}

interface Tools {
  send: ReturnType<typeof createSender>;
  rulesFor: (req: EndpointRequest) => CompiledRules;
  positions?: LegacyPositionSource;
}

async function compareOne(
  req: EndpointRequest,
  options: CompareEndpointsOptions,
  { send, rulesFor, positions }: Tools,
): Promise<EndpointResult> {
  const legacyUrl = (req.legacyUrl ?? options.legacyUrl)!;
  const candidateUrl = (req.candidateUrl ?? options.candidateUrl)!;
  const method = (req.method ?? 'GET').toUpperCase();
  const headers = Object.entries(req.headers ?? {}).flat();
  const body = typeof req.body === 'string' ? Buffer.from(req.body) : req.body;
  const sendReq = { method, path: req.path, headers, body };
  const rules = rulesFor(req);
  const base = { request: { method, path: req.path, routeId: req.routeId } };
  let legacy: Answer;
  let candidate: Answer;
  try {
    [legacy, candidate] = await Promise.all([send(legacyUrl, sendReq), send(candidateUrl, sendReq)]);
  } catch (err) {
    return { ...base, outcome: 'error', diffs: [], noise: [], error: (err as Error).message };
  }
  let noisy = new Set<string>();
  if (options.noiseCheck ?? true) {
    const again = await send(legacyUrl, sendReq).catch(() => undefined);
    if (again) noisy = new Set(diffAnswers(rules, legacy, again).map((d) => d.field));
  }
  const split = (a: Answer, b: Answer) => {
    const all = diffAnswers(rules, a, b);
    return { diffs: all.filter((d) => !noisy.has(d.field)), noise: all.filter((d) => noisy.has(d.field)) };
  };
  let { diffs, noise } = split(legacy, candidate);
  // Read only for a difference, and once both answers are in, so the position covers any
  // write either answer may reflect (read earlier, a write landing before the later answer
  // made a candidate look caught up when legacy's answer already held the write).
  const legacyAt = diffs.length > 0 ? await positions?.current().catch(() => undefined) : undefined;
  if (legacyAt) {
    let recheck: Awaited<ReturnType<typeof recheckAfterCatchUp>>;
    try {
      recheck = await recheckAfterCatchUp(
        send,
        { legacy: legacyUrl, new: candidateUrl },
        sendReq,
        candidate,
        legacyAt,
        { waitMs: options.lagWaitMs },
      );
    } catch (err) {
      return {
        ...base,
        outcome: 'error',
        diffs,
        noise,
        error: `re-check after catch-up: ${(err as Error).message}`,
      };
    }
    if (recheck) {
      const again = split(recheck.legacy, recheck.candidate);
      if (again.diffs.length === 0) {
        const statuses = { legacyStatus: legacy.status, newStatus: candidate.status };
        return { ...base, outcome: 'lag', ...statuses, diffs, noise, note: recheck.note };
      }
      ({ diffs, noise } = again);
      [legacy, candidate] = [recheck.legacy, recheck.candidate];
    }
  }
  return {
    ...base,
    outcome: diffs.length > 0 ? 'mismatch' : noise.length > 0 ? 'noise' : 'match',
    legacyStatus: legacy.status,
    newStatus: candidate.status,
    diffs,
    noise,
  };
}

export function summarise(results: EndpointResult[]): CompareEndpointsReport {
  const count = (o: EndpointResult['outcome']) => results.filter((r) => r.outcome === o).length;
  const fields = new Map<string, { count: number; example: FieldDiff }>();
  // A lag result keeps the diff it showed before the catch-up; it is no failure to explain.
  for (const r of results) {
    if (r.outcome === 'lag') continue;
    for (const d of r.diffs) {
      const f = fields.get(d.field);
      if (f) f.count++;
      else fields.set(d.field, { count: 1, example: d });
    }
  }
  const topFields = [...fields]
    .map(([field, v]) => ({ field, ...v }))
    .sort((a, b) => b.count - a.count)
    .slice(0, 10);
  const report = {
    total: results.length,
    matched: count('match'),
    mismatched: count('mismatch'),
    noise: count('noise'),
    lag: count('lag'),
    errors: count('error'),
    results,
    topFields,
  };
  const failing = results.filter((r) => r.outcome === 'mismatch' || r.outcome === 'error').slice(0, 5);
  const summary = [
    `${report.total} compared: ${report.matched} matched, ${report.mismatched} mismatched, ${report.noise} noise only, ${report.lag} lag, ${report.errors} errors`,
    ...failing.map(
      (r) =>
        `  ${r.request.method} ${r.request.path}: ${
          r.error ??
          r.diffs
            .slice(0, 3)
            .map((d) => `${d.path} ${JSON.stringify(d.legacy)} → ${JSON.stringify(d.new)}`)
            .join('; ')
        }`,
    ),
  ].join('\n');
  return { pass: report.mismatched === 0 && report.errors === 0, ...report, summary };
}
