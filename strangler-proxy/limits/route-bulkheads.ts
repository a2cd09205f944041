import { forwardRequest } from '../forward/forward-request.ts';
import type { RequestState } from '../forward/request-state.ts';
import { clientClosedStatus } from '../forward/upstream-errors.ts';
import { recordFailure } from '../record-outcome.ts';
import { replyError } from '../respond.ts';
import type { Bulkhead, BulkheadRefusal, BulkheadWaiter } from './bulkhead.ts';

/**
 * The request path's bulkhead step, between decide and forward, for a route with a limit: the
 * request goes upstream when its route's bulkhead admits it (at once or from the queue), or is
 * answered 503 PROXY_ERR_ROUTE_BUSY with Retry-After without touching the upstream. Its slot is
 * given back by the record step (record-outcome.ts) whatever ended it.
 */
export function enterBulkhead(state: RequestState, tableLegacy: string): void {
  const route = state.route!;
  new BulkheadTicket(state, state.proxy.bulkheads.for(route), tableLegacy).enter();
}

/**
 * A refused request's body is never read. A small one of announced length node:http discards
 * itself once the answer is sent, so the connection stays open (a flood of small POSTs must not
 * cost a new connection each); a chunked or large one would have to be read to the end first,
 * so the connection ends with the answer instead.
 */
function closeAfterRefusal(state: RequestState): boolean {
  if (state.body === null) return false;
  return state.meter !== undefined || Number(state.head.contentLength) > 64 * 1024;
}

class BulkheadTicket implements BulkheadWaiter {
  #waiting = false;

  constructor(
    readonly state: RequestState,
    readonly bulkhead: Bulkhead,
    readonly tableLegacy: string,
  ) {}

  enter(): void {
    const state = this.state;
    state.slot = this;
    this.#waiting = true;
    // while queued, a client that goes away (client-connections.ts) calls abort() below
    state.attempt = this;
    this.bulkhead.enter(this);
    if (this.#waiting) state.proxy.stats.bulkheadEvent(state.route!.id, 'queued');
  }

  admitted(): void {
    this.#waiting = false;
    const state = this.state;
    if (state.attempt === this) state.attempt = undefined;
    forwardRequest(state, this.tableLegacy);
  }

  refused(reason: BulkheadRefusal): void {
    this.#waiting = false;
    const state = this.state;
    state.slot = undefined;
    if (state.attempt === this) state.attempt = undefined;
    const route = state.route!;
    const limits = this.bulkhead.limits;
    state.proxy.stats.bulkheadEvent(route.id, reason);
    const why =
      reason === 'queue-timeout'
        ? `waited ${limits.queueWaitMs} ms in its queue of ${limits.queue}`
        : reason === 'queue-full'
          ? `its queue of ${limits.queue} is full too`
          : 'it has no queue';
    replyError(
      state.res,
      503,
      'PROXY_ERR_ROUTE_BUSY',
      `route ${route.id} has its ${limits.maxInFlight} requests in flight (bulkhead) and ${why}`,
      closeAfterRefusal(state),
      ['retry-after', String(limits.retryAfterS)],
    );
    recordFailure(state, state.decision?.serve ?? 'legacy', 503);
  }

  /** The client went away: while still queued, its place is given up and it counts as 499. */
  abort(_err: Error): void {
    if (!this.#waiting) return;
    this.#waiting = false;
    const state = this.state;
    state.attempt = undefined;
    recordFailure(state, state.decision?.serve ?? 'legacy', clientClosedStatus);
  }

  /** The request is over (record step): its slot or queue place goes back. Idempotent. */
  release(): void {
    if (this.state.slot === this) this.state.slot = undefined;
    this.bulkhead.leave(this);
  }
}
