import { idempotentMethods } from '../http-methods.ts';
import { recordFailure, recordOutcome } from '../record-outcome.ts';
import { answerFailure, ClientAnswer } from './answer-client.ts';
import type { RequestState } from './request-state.ts';
import { classifyUpstreamError, clientClosedStatus } from './upstream-errors.ts';

/**
 * forward: the side the decision named gets the request. This is where a request becomes an
 * upstream call (`callUpstream`); a new-side attempt runs inside the new upstream's breaker
 * and, when it fails before the client saw anything, falls back to legacy. Each attempt's
 * ClientAnswer (answer-client.ts) streams the response and then calls back here
 * (`answeredOnce`, `newAnswered`), which records the outcome (record-outcome.ts).
 */
export function forwardRequest(state: RequestState, tableLegacy: string): void {
  const route = state.route;
  if (route === undefined) sendLegacy(state, tableLegacy);
  else if (state.decision!.serve === 'legacy') sendLegacy(state, route.legacy);
  else sendNew(state);
}

/** Where a request becomes an upstream call: one attempt on the origin's keep-alive pool. */
function callUpstream(state: RequestState, origin: string, answer: ClientAnswer): void {
  const route = state.route;
  state.proxy.pools.get(origin).dispatch(
    {
      method: state.method,
      path: state.path,
      headers: state.headers,
      body: state.body,
      headersTimeout: route?.headersTimeout ?? 30_000,
      bodyTimeout: route?.bodyTimeout ?? 60_000,
    },
    answer,
  );
}

function sendLegacy(state: RequestState, origin: string): void {
  callUpstream(state, origin, new ClientAnswer(state, 'legacy', false, answeredOnce));
}

/**
 * A route's write (writes/): to the side the route's writes are on, with no breaker and no
 * fallback on either side: a write is never sent to two systems of record.
 */
export function forwardWrite(state: RequestState, side: 'legacy' | 'new'): void {
  const route = state.route!;
  if (side === 'legacy') sendLegacy(state, route.legacy);
  else callUpstream(state, route.upstreamNew, new ClientAnswer(state, 'new', false, answeredOnce));
}

/** The end of an attempt that has nothing to fall back to: legacy's, or a write's. */
function answeredOnce(answer: ClientAnswer): void {
  const side = answer.side;
  if (answer.outcome !== 'error') recordOutcome(answer.state, side, answer.status);
  else if (answer.clientClosed) recordFailure(answer.state, side, clientClosedStatus);
  else failed(answer.state, side, answer.err!, answer.responseStarted);
}

function sendNew(state: RequestState): void {
  const route = state.route!;
  // A body already streamed to the new side cannot be sent again.
  const retryOnFailure = state.body === null && idempotentMethods.has(state.method);
  const answer = new ClientAnswer(state, 'new', retryOnFailure, newAnswered);
  state.proxy.breakers
    .get(route.upstreamNew)
    .fire(() => attemptNew(answer))
    .then(
      () => newSucceeded(answer),
      (err: unknown) => newFailed(answer, err),
    );
}

/** The breaker's action: one new-side attempt, a success when it answered below 500. */
function attemptNew(answer: ClientAnswer): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    answer.resolve = resolve;
    answer.reject = reject;
    callUpstream(answer.state, answer.state.route!.upstreamNew, answer);
  });
}

function newAnswered(answer: ClientAnswer): void {
  if (answer.outcome === 'served' && answer.status < 500) answer.resolve!();
  else answer.reject!(answer);
}

function newSucceeded(answer: ClientAnswer): void {
  recordOutcome(answer.state, 'new', answer.outcome === 'served' ? answer.status : 502);
}

function newFailed(answer: ClientAnswer, err: unknown): void {
  const state = answer.state;
  if ((err as { code?: string }).code === 'EOPENBREAKER') {
    fallBack(state, 'breaker-open');
    return;
  }
  // the breaker refused without trying for another reason (shut down): nothing to answer with
  if (answer.outcome === undefined) {
    state.slot?.release();
    throw err;
  }
  if (answer.outcome === 'served') {
    recordOutcome(state, 'new', answer.status);
    return;
  }
  if (answer.outcome === 'discarded-5xx') {
    fallBack(state, 'new-5xx');
    return;
  }
  if (answer.clientClosed) {
    // nobody to answer or fall back for; the breaker did not count it (breakers.ts)
    recordFailure(state, 'new', clientClosedStatus);
    return;
  }
  const f = classifyUpstreamError(answer.err);
  if (state.res.destroyed) {
    state.slot?.release(); // not recorded, but over: its bulkhead slot goes back
    return;
  }
  if (!answer.responseStarted && f.status !== 413 && (f.neverReceived || answer.holdBack5xx)) {
    fallBack(state, f.reason);
    return;
  }
  failed(state, 'new', answer.err!, answer.responseStarted);
}

function fallBack(state: RequestState, reason: string): void {
  const route = state.route!;
  state.proxy.stats.fallback(route.id, reason);
  state.fellBack = true;
  state.resetForRetry();
  sendLegacy(state, route.legacy);
}

function failed(state: RequestState, side: 'legacy' | 'new', err: Error, responseStarted: boolean): void {
  recordFailure(state, side, answerFailure(state, side, err, responseStarted));
}
