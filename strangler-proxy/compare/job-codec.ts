import type { Exchange } from '../shadow-hook.ts';
import type { ComparisonJob } from './comparator.ts';
import type { CompareRulesSpec } from './rules.ts';

/**
 * A comparison job as it crosses to the worker thread: one string (every text field and
 * header joined by NUL, which HTTP never allows in a header, a path or an origin), the two
 * bodies as exact-size copies, and the rules as JSON. Structured-cloning the Exchange object
 * (two header arrays of small strings, nested objects) cost the proxy's thread twice as much.
 */
export type EncodedJob = [
  meta: string,
  requestBody: Uint8Array | null,
  responseBody: Uint8Array,
  rules: string,
];

const SEP = '\u0000';
const ruleKeys = new WeakMap<CompareRulesSpec, string>();

const copy = (b: Buffer) => new Uint8Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));

export function encodeJob({ exchange: e, route }: ComparisonJob): {
  job: EncodedJob;
  transfer: ArrayBuffer[];
} {
  let rules = ruleKeys.get(route.rules);
  if (rules === undefined) {
    rules = JSON.stringify(route.rules);
    ruleKeys.set(route.rules, rules);
  }
  const flags = `${e.fellBack ? 1 : 0}${e.response.truncated ? 1 : 0}${e.request.bodyTruncated ? 1 : 0}`;
  const meta = [
    e.routeId,
    e.mode,
    e.servedBy,
    e.other,
    e.otherUpstream,
    e.request.method,
    e.request.path,
    e.response.status,
    e.startedAt,
    e.durationMs,
    flags,
    route.legacy,
    route.new,
    e.request.headers.length,
    ...e.request.headers,
    ...e.response.headers,
  ].join(SEP);
  const requestBody = e.request.body ? copy(e.request.body) : null;
  const responseBody = copy(e.response.body);
  const transfer = [responseBody.buffer as ArrayBuffer];
  if (requestBody) transfer.push(requestBody.buffer as ArrayBuffer);
  return { job: [meta, requestBody, responseBody, rules], transfer };
}

export function createJobDecoder(): (job: EncodedJob) => ComparisonJob {
  // The same spec object for the same rules, so the comparator's compiled-rules cache hits.
  const specs = new Map<string, CompareRulesSpec>();
  return ([meta, requestBody, responseBody, rulesJson]) => {
    const f = meta.split(SEP);
    const requestHeaderCount = Number(f[13]);
    let rules = specs.get(rulesJson);
    if (!rules) {
      rules = JSON.parse(rulesJson) as CompareRulesSpec;
      if (specs.size > 1000) specs.clear();
      specs.set(rulesJson, rules);
    }
    const flags = f[10]!;
    const exchange: Exchange = {
      routeId: f[0]!,
      mode: f[1] as Exchange['mode'],
      servedBy: f[2] as Exchange['servedBy'],
      other: f[3] as Exchange['other'],
      otherUpstream: f[4]!,
      request: {
        method: f[5]!,
        path: f[6]!,
        headers: f.slice(14, 14 + requestHeaderCount),
        body: requestBody
          ? Buffer.from(requestBody.buffer, requestBody.byteOffset, requestBody.byteLength)
          : undefined,
        bodyTruncated: flags[2] === '1',
      },
      response: {
        status: Number(f[7]),
        headers: f.slice(14 + requestHeaderCount),
        body: Buffer.from(responseBody.buffer, responseBody.byteOffset, responseBody.byteLength),
        truncated: flags[1] === '1',
      },
      startedAt: Number(f[8]),
      durationMs: Number(f[9]),
      fellBack: flags[0] === '1',
    };
    return { exchange, route: { rules, legacy: f[11]!, new: f[12]! } };
  };
}
