import type { Exchange } from '../shadow-hook.ts';
import type { ComparisonJob, ComparisonResult } from './comparator.ts';
import type { CompareRulesSpec } from './rules.ts';

/**
 * Comparison jobs as they cross to the worker thread, several at a time: one string (every
 * text field and header of every job joined by NUL, which HTTP never allows in a header, a
 * path or an origin), every body in one buffer that is transferred (one allocation and one
 * transfer a batch, not two a job), and the distinct rules as JSON. Structured-cloning the
 * Exchange objects (header arrays of small strings, nested objects) cost the proxy's thread
 * twice as much, and each message is a wake-up of the other thread, dear on a busy machine.
 */
export interface EncodedBatch {
  meta: string;
  bodies: Uint8Array;
  rules: string[];
}

/**
 * Jobs and results cross in batches: comparisons are background work, and at a few hundred
 * requests a second each message is a wake-up of the other thread, dear on a busy machine (on
 * evenly spaced traffic at 400 req/s the worker spent ~220 µs of CPU a comparison with 10 ms
 * windows both ways, ~175 µs with these).
 * A job waits at most `jobWindowMs` for others to join it (short: the other side is called
 * that much later than the served side answered, a little more room for a write in between);
 * a result waits at most `replyWindowMs` (only the counters see it later). A batch never holds
 * more jobs than the worker runs at once, so batching does not hold back work it could start.
 */
export const jobWindowMs = 20;
export const replyWindowMs = 50;
/** Comparisons the worker runs at once unless configured (PROXY_SHADOW_CONCURRENCY). */
export const defaultConcurrency = 16;

/** What the worker sends back, a batch at a time: a bare id is a plain match. */
export type WorkerReply = number | { id: number; result: ComparisonResult } | { id: number; error: string };

const SEP = '\u0000';
// Fields before the headers in each job's part of `meta`.
const FIXED = 19;

/** Collects jobs on the proxy's thread until `take()` encodes them as one batch. */
export class JobBatchWriter {
  #fields: (string | number)[] = [];
  #bodies: Buffer[] = [];
  #bodyBytes = 0;
  #rules: string[] = [];
  #count = 0;
  readonly #ruleJson = new WeakMap<CompareRulesSpec, string>();

  get size(): number {
    return this.#count;
  }

  add(id: number, { exchange: e, route }: ComparisonJob): void {
    let json = this.#ruleJson.get(route.rules);
    if (json === undefined) {
      json = JSON.stringify(route.rules);
      this.#ruleJson.set(route.rules, json);
    }
    let rulesIndex = this.#rules.indexOf(json);
    if (rulesIndex < 0) rulesIndex = this.#rules.push(json) - 1;
    const flags = `${e.fellBack ? 1 : 0}${e.response.truncated ? 1 : 0}${e.request.bodyTruncated ? 1 : 0}${e.dryRun ? 1 : 0}`;
    const requestBody = e.request.body;
    this.#fields.push(
      id,
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
      rulesIndex,
      requestBody ? requestBody.length : -1,
      e.response.body.length,
      e.request.headers.length,
      e.response.headers.length,
    );
    for (const h of e.request.headers) this.#fields.push(h);
    for (const h of e.response.headers) this.#fields.push(h);
    if (requestBody) this.#push(requestBody);
    this.#push(e.response.body);
    this.#count++;
  }

  #push(body: Buffer): void {
    this.#bodies.push(body);
    this.#bodyBytes += body.length;
  }

  /** The batch so far (and the buffer to transfer); the writer starts empty again. */
  take(): { batch: EncodedBatch; transfer: ArrayBuffer[] } {
    const bodies = new Uint8Array(this.#bodyBytes);
    let at = 0;
    for (const b of this.#bodies) {
      bodies.set(b, at);
      at += b.length;
    }
    const batch = { meta: this.#fields.join(SEP), bodies, rules: this.#rules };
    this.clear();
    return { batch, transfer: [bodies.buffer as ArrayBuffer] };
  }

  clear(): void {
    this.#fields = [];
    this.#bodies = [];
    this.#bodyBytes = 0;
    this.#rules = [];
    this.#count = 0;
  }
}

export function createBatchDecoder(): (batch: EncodedBatch) => { id: number; job: ComparisonJob }[] {
  // The same spec object for the same rules, so the comparator's compiled-rules cache hits.
  const specs = new Map<string, CompareRulesSpec>();
  const spec = (json: string) => {
    let rules = specs.get(json);
    if (!rules) {
      rules = JSON.parse(json) as CompareRulesSpec;
      if (specs.size > 1000) specs.clear();
      specs.set(json, rules);
    }
    return rules;
  };
  return ({ meta, bodies, rules }) => {
    const jobs: { id: number; job: ComparisonJob }[] = [];
    if (meta === '') return jobs;
    const f = meta.split(SEP);
    let bodyAt = 0;
    const body = (length: number) => {
      // a view into the batch's buffer: no copy on this side either
      const b = Buffer.from(bodies.buffer, bodies.byteOffset + bodyAt, length);
      bodyAt += length;
      return b;
    };
    for (let i = 0; i < f.length; ) {
      const requestBodyLength = Number(f[i + 15]);
      const requestHeaders = i + FIXED;
      const responseHeaders = requestHeaders + Number(f[i + 17]);
      const end = responseHeaders + Number(f[i + 18]);
      const flags = f[i + 11]!;
      const exchange: Exchange = {
        routeId: f[i + 1]!,
        mode: f[i + 2] as Exchange['mode'],
        servedBy: f[i + 3] as Exchange['servedBy'],
        other: f[i + 4] as Exchange['other'],
        otherUpstream: f[i + 5]!,
        request: {
          method: f[i + 6]!,
          path: f[i + 7]!,
          headers: f.slice(requestHeaders, responseHeaders),
          body: requestBodyLength >= 0 ? body(requestBodyLength) : undefined,
          bodyTruncated: flags[2] === '1',
        },
        response: {
          status: Number(f[i + 8]),
          headers: f.slice(responseHeaders, end),
          body: body(Number(f[i + 16])),
          truncated: flags[1] === '1',
        },
        startedAt: Number(f[i + 9]),
        durationMs: Number(f[i + 10]),
        fellBack: flags[0] === '1',
        dryRun: flags[3] === '1',
      };
      const route = { rules: spec(rules[Number(f[i + 14])]!), legacy: f[i + 12]!, new: f[i + 13]! };
      jobs.push({ id: Number(f[i]), job: { exchange, route } });
      i = end;
    }
    return jobs;
  };
}
