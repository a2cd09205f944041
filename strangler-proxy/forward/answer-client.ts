import { replyError } from '../respond.ts';
import { clientResponseHeaders } from './headers.ts';
import type { RequestState } from './request-state.ts';
import { classifyUpstreamError, isClientClosed } from './upstream-errors.ts';
import type { UpstreamHandler } from './upstream-pool.ts';

/** How an attempt ended, as ClientAnswer.outcome. */
type AttemptOutcome =
  | 'served'
  /** A 5xx the proxy kept from the client because it may still fall back to legacy. */
  | 'discarded-5xx'
  | 'error';

/**
 * answer: one forwarding attempt as the upstream pool's handler, writing the upstream's
 * response to the client (callbacks: no promise, no Readable, no parsed headers object per
 * response). Response bytes are written to the client as they arrive, with backpressure both
 * ways: when the client socket is full, the pool stops reading from the upstream until 'drain'.
 * When the attempt ends it says how (outcome, status, err) and calls `answered`, a function of
 * the forward step (forward-request.ts), so no closure is made per attempt.
 */
export class ClientAnswer implements UpstreamHandler {
  #abort: ((err: Error) => void) | undefined = undefined;
  #resume: (() => void) | undefined = undefined;
  #discard = false;
  #started = false;
  #finished = false;
  #ended = false;
  #awaitingDrain = false;
  /** Body bytes still to come by the upstream's Content-Length; -1 when it sent none. */
  bodyBytes = -1;
  /** Set when the attempt ends (before `answered` is called). */
  outcome: AttemptOutcome | undefined = undefined;
  /** The upstream's status ('served', 'discarded-5xx'). */
  status = 0;
  /** Why the attempt failed ('error'). */
  err: Error | undefined = undefined;
  /** A new-side attempt's breaker promise (forward-request.ts); undefined on the legacy side. */
  resolve: (() => void) | undefined = undefined;
  reject: ((reason: unknown) => void) | undefined = undefined;

  constructor(
    readonly state: RequestState,
    readonly side: 'legacy' | 'new',
    /** Keep a 5xx from the client (the caller will fall back). */
    readonly holdBack5xx: boolean,
    private readonly answered: (answer: ClientAnswer) => void,
  ) {}

  /**
   * The attempt was aborted because its client went away (client-connections.ts): not the
   * upstream's failure. The breaker does not count it (breakers.ts) and the stats count 499.
   */
  get clientClosed(): boolean {
    return this.outcome === 'error' && isClientClosed(this.err);
  }

  /** Whether response bytes went to the client before the attempt ended. */
  get responseStarted(): boolean {
    return this.#started;
  }

  abort(err: Error): void {
    if (!this.#finished) this.#abort?.(err);
  }

  onConnect(abort: (err: Error) => void): void {
    this.#abort = abort;
    this.state.attempt = this;
  }

  onHeaders(statusCode: number, rawHeaders: string[], resume: () => void): boolean {
    const state = this.state;
    state.status = statusCode;
    if (statusCode >= 500 && this.holdBack5xx) {
      this.#discard = true;
      return true;
    }
    this.#resume = resume;
    this.#started = true;
    const headers = clientResponseHeaders(rawHeaders, state.proxy.targetHeader, this.side, this);
    if (state.capture) state.responseHeaders = headers;
    try {
      state.res.writeHead(statusCode, headers);
    } catch (err) {
      // a header value node refuses to send: treat as a malformed upstream response
      this.#started = false;
      this.#abort?.(Object.assign(err as Error, { code: 'UPSTREAM_BAD_RESPONSE' }));
      return false;
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#discard) return true;
    const state = this.state;
    if (state.capture) state.teeResponse(chunk);
    if (this.bodyBytes >= 0) {
      this.bodyBytes -= chunk.length;
      if (this.bodyBytes === 0) {
        // the last bytes the upstream announced: one end(chunk) sends them and finishes the
        // response in a single socket write (write + end costs a second pass and a tick)
        this.#ended = true;
        state.res.end(chunk);
        return true;
      }
    }
    const ok = state.res.write(chunk);
    // under backpressure only (the common small response never allocates the listener), and
    // one listener however many body pieces one upstream read still hands on
    if (!ok && !this.#awaitingDrain) {
      this.#awaitingDrain = true;
      state.res.once('drain', () => {
        this.#awaitingDrain = false;
        this.#resume?.();
      });
    }
    return ok;
  }

  onComplete(): void {
    this.#finished = true;
    this.status = this.state.status;
    if (this.#discard) {
      this.outcome = 'discarded-5xx';
      this.answered(this);
      return;
    }
    if (!this.#ended) this.state.res.end();
    this.outcome = 'served';
    this.answered(this);
  }

  onError(err: Error): void {
    this.#finished = true;
    this.outcome = 'error';
    this.err = err;
    this.answered(this);
  }
}

/**
 * answer, when an attempt failed: the proxy's own JSON error, or a cut connection once the
 * upstream's response had started. Returns the status to count.
 */
export function answerFailure(
  state: RequestState,
  side: 'legacy' | 'new',
  err: Error,
  responseStarted: boolean,
): number {
  const f = classifyUpstreamError(err);
  if (responseStarted) {
    state.res.destroy();
    return f.status;
  }
  if (f.status === 413) state.proxy.stats.reject('body-too-large');
  replyError(state.res, f.status, f.code, `${side} upstream: ${err.message}`, f.status === 413);
  return f.status;
}
