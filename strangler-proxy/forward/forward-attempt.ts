import { clientResponseHeaders } from './headers.ts';
import type { RequestState } from './request-state.ts';
import type { UpstreamHandler } from './upstream-pool.ts';

export type AttemptOutcome =
  | { kind: 'served'; status: number }
  /** A 5xx the proxy kept from the client because it may still fall back to legacy. */
  | { kind: 'discarded-5xx'; status: number }
  | { kind: 'error'; err: Error; responseStarted: boolean };

/**
 * One forwarding attempt as the upstream pool's handler (callbacks: no promise, no Readable,
 * no parsed headers object per response). Response bytes are written to the client as they
 * arrive, with backpressure both ways: when the client socket is full, the pool stops reading
 * from the upstream until 'drain'.
 */
export class ForwardAttempt implements UpstreamHandler {
  #abort: ((err: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #discard = false;
  #started = false;
  #finished = false;
  #ended = false;
  #awaitingDrain = false;
  /** Body bytes still to come by the upstream's Content-Length; -1 when it sent none. */
  bodyBytes = -1;

  constructor(
    private readonly state: RequestState,
    private readonly side: 'legacy' | 'new',
    /** Keep a 5xx from the client (the caller will fall back). */
    private readonly holdBack5xx: boolean,
    private readonly done: (outcome: AttemptOutcome) => void,
  ) {}

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
    const headers = clientResponseHeaders(rawHeaders, state.targetHeader, this.side, this);
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
    if (this.#discard) {
      this.done({ kind: 'discarded-5xx', status: this.state.status });
      return;
    }
    if (!this.#ended) this.state.res.end();
    this.done({ kind: 'served', status: this.state.status });
  }

  onError(err: Error): void {
    this.#finished = true;
    this.done({ kind: 'error', err, responseStarted: this.#started });
  }
}
