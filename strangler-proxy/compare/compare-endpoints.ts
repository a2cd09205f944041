import { ToolkitError } from '../../lib/errors.ts';
import { type Answer, diffAnswers, type FieldDiff } from './diff.ts';
import { type CompareRulesInput, type CompiledRules, compileRules } from './rules.ts';
import { createSender } from './send.ts';

/**
 * The comparison as a library call for a team's own test suites (and for `compare replay`):
 * send each request to legacy and to the candidate, diff under the rules, and report.
 *
 *   const report = await compareEndpoints({ legacyUrl, candidateUrl, requests: ['/products/1'] });
 *   expect(report.pass, report.summary).toBe(true);
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
  outcome: 'match' | 'mismatch' | 'noise' | 'error';
  legacyStatus?: number;
  newStatus?: number;
  diffs: FieldDiff[];
  noise: FieldDiff[];
  error?: string;
}

export interface CompareEndpointsReport {
  pass: boolean;
  total: number;
  matched: number;
  mismatched: number;
  noise: number;
  errors: number;
  results: EndpointResult[];
  /** The most frequent differing fields, with how often and one example. */
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
  const send = createSender({ timeoutMs: options.timeoutMs });
  const rulesFor = rulesCache(options.rules);
  const results: EndpointResult[] = new Array(requests.length);
  let next = 0;
  const worker = async () => {
    while (next < requests.length) {
      const i = next++;
      results[i] = await compareOne(requests[i]!, options, send, rulesFor);
      options.onResult?.(results[i]!);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, options.concurrency ?? 8) }, worker));
  } finally {
    await send.close();
  }
  return summarise(results);
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

async function compareOne(
  req: EndpointRequest,
  options: CompareEndpointsOptions,
  send: ReturnType<typeof createSender>,
  rulesFor: (req: EndpointRequest) => CompiledRules,
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
  const all = diffAnswers(rules, legacy, candidate);
  const diffs = all.filter((d) => !noisy.has(d.field));
  const noise = all.filter((d) => noisy.has(d.field));
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
  for (const r of results) {
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
    errors: count('error'),
    results,
    topFields,
  };
  const failing = results.filter((r) => r.outcome === 'mismatch' || r.outcome === 'error').slice(0, 5);
  const summary = [
    `${report.total} compared: ${report.matched} matched, ${report.mismatched} mismatched, ${report.noise} noise only, ${report.errors} errors`,
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
