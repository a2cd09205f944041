import { classifyUpstreamError } from '../forward/upstream-errors.ts';
import type { UpstreamClient, UpstreamHandler } from '../forward/upstream-pool.ts';

/**
 * One GET of an aggregation part on the origin's keep-alive pool (the same pools as every
 * forwarded request), its JSON answer collected whole. Never rejects: a failure is a value
 * with the reason the metrics and the `missing` marker name.
 */
export type FetchResult =
  | { ok: true; status: number; body: unknown }
  | {
      ok: false;
      reason: FailureReason;
      /** The upstream's status when it answered (bad-status, not-json). */
      status?: number;
      /** The answer of a 4xx, kept so an "error" part can hand the client the upstream's own error. */
      raw?: Buffer;
    };

export type FailureReason =
  | 'timeout'
  | 'refused'
  | 'reset'
  | 'bad-response'
  | 'error'
  | 'bad-status'
  | 'not-json'
  | 'too-large'
  | 'aborted';

/** What the caller keeps to end calls in flight (the client went away, a required part failed). */
export interface Abortable {
  abort(): void;
}

class JsonCall implements UpstreamHandler {
  status = 0;
  readonly chunks: Buffer[] = [];
  bytes = 0;
  #abort: ((err: Error) => void) | undefined;
  #timer: NodeJS.Timeout | undefined;
  #done = false;

  constructor(
    readonly maxBytes: number,
    readonly resolve: (r: FetchResult) => void,
  ) {}

  arm(timeoutMs: number): void {
    this.#timer = setTimeout(() => this.#end({ ok: false, reason: 'timeout' }), timeoutMs);
  }

  abort(): void {
    this.#end({ ok: false, reason: 'aborted' });
  }

  onConnect(abort: (err: Error) => void): void {
    this.#abort = abort;
  }

  onHeaders(status: number): boolean {
    this.status = status;
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    if (this.bytes > this.maxBytes) this.#end({ ok: false, reason: 'too-large', status: this.status });
    // views of the pool's shared read buffer: copied, they outlive this callback
    else this.chunks.push(Buffer.from(chunk));
    return true;
  }

  onComplete(): void {
    const raw = Buffer.concat(this.chunks);
    const status = this.status;
    if (status < 200 || status > 299) {
      this.#end({ ok: false, reason: 'bad-status', status, raw: status < 500 ? raw : undefined });
      return;
    }
    try {
      this.#end({ ok: true, status, body: JSON.parse(raw.toString('utf8')) });
    } catch {
      this.#end({ ok: false, reason: 'not-json', status });
    }
  }

  onError(err: Error): void {
    this.#end({ ok: false, reason: classifyUpstreamError(err).reason as FailureReason });
  }

  #end(result: FetchResult): void {
    if (this.#done) return;
    this.#done = true;
    clearTimeout(this.#timer);
    // ends the exchange if it is still running (the connection is not reused)
    if (!result.ok && result.reason !== 'bad-status' && result.reason !== 'not-json')
      this.#abort?.(
        Object.assign(new Error(`aggregation part call ended: ${result.reason}`), { code: 'ABORTED' }),
      );
    this.resolve(result);
  }
}

export function fetchJson(
  pool: UpstreamClient,
  path: string,
  headers: string[],
  timeoutMs: number,
  maxBytes: number,
  inFlight: Set<Abortable>,
): Promise<FetchResult> {
  return new Promise((resolve) => {
    const call = new JsonCall(maxBytes, (r) => {
      inFlight.delete(call);
      resolve(r);
    });
    inFlight.add(call);
    call.arm(timeoutMs);
    pool.dispatch(
      { method: 'GET', path, headers, body: null, headersTimeout: timeoutMs, bodyTimeout: timeoutMs },
      call,
    );
  });
}
