import type { StickyContext } from '../flags/decider.ts';
import type { RequestState } from '../forward/request-state.ts';
import { clientClosedStatus } from '../forward/upstream-errors.ts';
import { replyError } from '../respond.ts';
import type { Route } from '../routes/route-table.ts';
import { type AggregatePart, type AggregatePlan, paramsIn, partTarget } from './aggregate-plan.ts';
import { missingKey } from './aggregate-schema.ts';
import { type Abortable, type FailureReason, type FetchResult, fetchJson } from './fetch-json.ts';
import { selectValues } from './select-values.ts';

/**
 * answer, for an aggregation route (docs/proxy.md, "Aggregation routes"): the proxy answers the
 * GET itself. Every part starts at once, except a part with `each`, which starts when the part
 * it depends on has its answer. Each part's side comes from its route's flag through the same
 * decider and sticky context as a plain request (flags/decider.ts); a new-side call runs in the
 * new upstream's breaker and falls back to legacy within what is left of the part's budget,
 * as a plain GET does (forward/forward-request.ts). A failed part ends the request at once when
 * its policy is "error"; with "partial" the merged answer goes out without it and names it
 * under `missing` (and in the x-strangler-partial header).
 */
export function answerAggregate(state: RequestState, sticky: StickyContext): void {
  const run = new AggregateRun(state, sticky);
  // a client that goes away aborts the parts in flight (front/client-connections.ts)
  state.attempt = run;
  run.start();
}

export type PartSide = 'legacy' | 'new' | 'none';

type PartOutcome =
  | { ok: true; side: PartSide; body: unknown }
  | {
      ok: false;
      side: PartSide;
      reason: FailureReason | 'dependency-missing' | 'too-many-values' | 'bad-value';
      status?: number;
      raw?: Buffer;
    };

const dropped = new Set(['accept', 'accept-encoding', 'content-length', 'content-type', 'transfer-encoding']);

/** The client's headers as the upstream gets them, minus what would make a part's answer other than plain JSON. */
function partHeaders(headers: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2)
    if (!dropped.has(headers[i]!)) out.push(headers[i]!, headers[i + 1]!);
  out.push('accept', 'application/json');
  return out;
}

class AggregateRun {
  readonly route: Route;
  readonly plan: AggregatePlan;
  readonly params: Map<string, string>;
  readonly headers: string[];
  readonly inFlight = new Set<Abortable>();
  closed = false;
  answered = false;

  constructor(
    readonly state: RequestState,
    readonly sticky: StickyContext,
  ) {
    this.route = state.route!;
    this.plan = this.route.aggregate!;
    this.params = paramsIn(this.plan, state.routePath);
    this.headers = partHeaders(state.headers);
  }

  /** state.attempt's contract: the client went away. */
  abort(): void {
    this.closed = true;
    for (const call of [...this.inFlight]) call.abort();
  }

  start(): void {
    const pending: Promise<PartOutcome>[] = [];
    for (const part of this.plan.parts) {
      const each = part.each;
      const outcome = each
        ? pending[each.from]!.then((dep) => this.runEach(part, dep))
        : this.runOne(part, this.sideOf(part), performance.now() + part.timeoutMs);
      pending.push(outcome.then((o) => this.partDone(part, o)));
    }
    Promise.all(pending).then(
      (outcomes) => this.finish(outcomes),
      (err: unknown) => this.crashed(err),
    );
  }

  /** The part's side, decided once per part: its route's flag decision, or the aggregation route's legacy. */
  sideOf(part: AggregatePart): 'legacy' | 'new' {
    if (part.route === undefined) return 'legacy';
    return this.state.proxy.decider.decide(part.route, this.sticky).serve;
  }

  async runOne(
    part: AggregatePart,
    side: 'legacy' | 'new',
    deadline: number,
    value?: string,
  ): Promise<PartOutcome> {
    const path = partTarget(part, this.params, value);
    const { result, served } = await this.call(part, side, path, deadline);
    return result.ok ? { ok: true, side: served, body: result.body } : { ...result, side: served };
  }

  /** One GET per distinct value the selector finds in the dependency's answer, all at once. */
  async runEach(part: AggregatePart, dep: PartOutcome): Promise<PartOutcome> {
    const each = part.each!;
    if (!dep.ok) return { ok: false, side: 'none', reason: 'dependency-missing' };
    const values = [...new Set(selectValues(dep.body, each.select))];
    if (values.some((v) => typeof v !== 'string' && typeof v !== 'number'))
      return { ok: false, side: 'none', reason: 'bad-value' };
    if (values.length > each.max) return { ok: false, side: 'none', reason: 'too-many-values' };
    if (values.length === 0) return { ok: true, side: 'none', body: [] };
    const side = this.sideOf(part);
    const deadline = performance.now() + part.timeoutMs;
    const outcomes = await Promise.all(values.map((v) => this.runOne(part, side, deadline, String(v))));
    const failed = outcomes.find((o) => !o.ok);
    if (failed) return failed;
    // 'legacy' as soon as one call fell back
    const served = outcomes.every((o) => o.side === 'new') ? 'new' : 'legacy';
    return { ok: true, side: served, body: outcomes.map((o) => (o.ok ? o.body : null)) };
  }

  /**
   * Where a part becomes an upstream call. Legacy: one GET. New: the GET inside the new
   * upstream's breaker (a refused connection, a reset or a 5xx counts against it); when it fails
   * before answering, or the breaker is open, legacy is asked in the time left.
   */
  async call(
    part: AggregatePart,
    side: 'legacy' | 'new',
    path: string,
    deadline: number,
  ): Promise<{ result: FetchResult; served: PartSide }> {
    const proxy = this.state.proxy;
    const legacy = part.route?.legacy ?? this.route.legacy;
    const left = () => Math.floor(deadline - performance.now());
    const get = (origin: string, timeoutMs: number) =>
      fetchJson(proxy.pools.get(origin), path, this.headers, timeoutMs, part.maxBytes, this.inFlight);
    if (side === 'legacy') return { result: await get(legacy, Math.max(1, left())), served: 'legacy' };
    const upstreamNew = part.route!.upstreamNew;
    let result: FetchResult | undefined;
    try {
      await proxy.breakers.get(upstreamNew).fire(async () => {
        result = await get(upstreamNew, Math.max(1, left()));
        // our own abort says nothing about the upstream (breakers.ts: errorFilter)
        if (!result.ok && result.reason === 'aborted') throw { clientClosed: true };
        if (!result.ok && (result.status === undefined || result.status >= 500)) throw result;
      });
      return { result: result!, served: 'new' };
    } catch (err) {
      const failed: FetchResult = result ?? { ok: false, reason: 'error' };
      const remaining = left();
      if (this.closed || this.answered || remaining < 1) return { result: failed, served: 'new' };
      const reason =
        (err as { code?: string }).code === 'EOPENBREAKER'
          ? 'breaker-open'
          : !failed.ok && failed.status !== undefined
            ? 'new-5xx'
            : !failed.ok
              ? failed.reason
              : 'error';
      proxy.stats.fallback(this.route.id, reason);
      return { result: await get(legacy, remaining), served: 'legacy' };
    }
  }

  partDone(part: AggregatePart, outcome: PartOutcome): PartOutcome {
    const stats = this.state.proxy.stats;
    if (!this.closed)
      stats.aggregatePart(this.route.id, part.name, outcome.side, outcome.ok ? 'ok' : outcome.reason);
    if (!outcome.ok && part.onFailure === 'error' && !this.answered && !this.closed) this.fail(part, outcome);
    return outcome;
  }

  /** A part whose policy is "error" failed: the request ends now, and the other parts are abandoned. */
  fail(part: AggregatePart, outcome: PartOutcome & { ok: false }): void {
    this.answered = true;
    for (const call of [...this.inFlight]) call.abort();
    const res = this.state.res;
    const proxy = this.state.proxy;
    if (outcome.raw !== undefined && outcome.status !== undefined && outcome.status < 500) {
      // the upstream's own 4xx (an unknown user): the client's request is what is wrong
      res.writeHead(outcome.status, [
        'content-type',
        'application/json; charset=utf-8',
        'content-length',
        String(outcome.raw.length),
        'cache-control',
        'no-store',
        proxy.targetHeader,
        'aggregate',
      ]);
      res.end(outcome.raw);
      this.record(outcome.status);
      return;
    }
    const status = outcome.reason === 'timeout' ? 504 : 502;
    const detail =
      outcome.reason === 'timeout'
        ? `no answer within ${part.timeoutMs} ms`
        : outcome.status !== undefined
          ? `${outcome.reason} (${outcome.status})`
          : outcome.reason;
    replyError(
      res,
      status,
      'PROXY_ERR_AGGREGATE_PART_FAILED',
      `part "${part.name}" of aggregation route "${this.route.id}" failed: ${detail}`,
    );
    this.record(status);
  }

  finish(outcomes: PartOutcome[]): void {
    if (this.closed && !this.answered) {
      this.record(clientClosedStatus);
      return;
    }
    if (this.answered) return;
    this.answered = true;
    const merged: Record<string, unknown> = {};
    const missing: { part: string; reason: string; status?: number }[] = [];
    const sides: string[] = [];
    this.plan.parts.forEach((part, i) => {
      const o = outcomes[i]!;
      sides.push(`${part.name}=${o.side}`);
      if (o.ok) merged[part.name] = o.body;
      else
        missing.push(
          o.status === undefined
            ? { part: part.name, reason: o.reason }
            : { part: part.name, reason: o.reason, status: o.status },
        );
    });
    if (missing.length > 0) merged[missingKey] = missing;
    const body = Buffer.from(JSON.stringify(merged));
    const headers = [
      'content-type',
      'application/json; charset=utf-8',
      'content-length',
      String(body.length),
      'cache-control',
      'no-store',
      this.state.proxy.targetHeader,
      'aggregate',
      'x-strangler-parts',
      sides.join(', '),
    ];
    if (missing.length > 0) headers.push('x-strangler-partial', missing.map((m) => m.part).join(', '));
    this.state.res.writeHead(200, headers);
    this.state.res.end(body);
    this.record(200);
  }

  crashed(err: unknown): void {
    this.state.proxy.log.error({ err, route: this.route.id }, 'aggregation route failed');
    if (this.answered || this.closed) return;
    this.answered = true;
    this.abort();
    replyError(this.state.res, 500, 'PROXY_ERR_AGGREGATE_PART_FAILED', errorMessage(this.route.id));
    this.record(500);
  }

  record(status: number): void {
    const seconds = (performance.now() - this.state.startedHr) / 1000;
    this.state.proxy.stats.recordFor(this.route.id, 'aggregate').record(status, seconds);
  }
}

function errorMessage(routeId: string): string {
  return `aggregation route "${routeId}" failed inside the proxy`;
}
