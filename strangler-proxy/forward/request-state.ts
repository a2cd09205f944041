import type { Readable } from 'node:stream';
import type { Decision } from '../flags/decider.ts';
import type { ClientResponse } from '../respond.ts';
import type { Route } from '../routes/route-table.ts';
import type { BodyMeter } from './body-meter.ts';

/** Everything one proxied request carries from decision to the shadow hook; one object per request. */
export class RequestState {
  status = 0;
  attempt: { abort(err: Error): void } | undefined;
  responseHeaders: string[] | undefined;
  #chunks: Buffer[] | undefined;
  #captured = 0;
  truncated = false;
  fellBack = false;

  constructor(
    readonly res: ClientResponse,
    readonly method: string,
    /** Normalised path + original query: what the upstream gets. */
    readonly path: string,
    readonly headers: string[],
    readonly body: Readable | null,
    readonly meter: BodyMeter | undefined,
    readonly route: Route | undefined,
    readonly decision: Decision | undefined,
    readonly targetHeader: string,
    /** Response tee for the shadow hook; 0 = no tee (the plain fast path). */
    readonly captureMax: number,
    readonly startedAt: number,
    readonly startedHr: number,
  ) {}

  get capture(): boolean {
    return this.captureMax > 0;
  }

  teeResponse(chunk: Buffer): void {
    const room = this.captureMax - this.#captured;
    if (room <= 0) {
      this.truncated = true;
      return;
    }
    const part = chunk.length <= room ? chunk : chunk.subarray(0, room);
    if (part.length < chunk.length) this.truncated = true;
    // no copy: the upstream pool hands on views of socket reads, which nothing reuses or mutates
    this.#chunks ??= [];
    this.#chunks.push(part);
    this.#captured += part.length;
  }

  capturedResponse(): Buffer {
    if (!this.#chunks) return Buffer.alloc(0);
    return this.#chunks.length === 1 ? this.#chunks[0]! : Buffer.concat(this.#chunks);
  }

  /** A fallback sends the request again: forget what the failed attempt wrote down. */
  resetForRetry(): void {
    this.status = 0;
    this.attempt = undefined;
    this.responseHeaders = undefined;
    this.#chunks = undefined;
    this.#captured = 0;
    this.truncated = false;
  }
}
