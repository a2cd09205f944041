import type { Readable } from 'node:stream';
import type { Decision } from '../flags/decider.ts';
import type { ProxyContext } from '../proxy-context.ts';
import type { ClientResponse } from '../respond.ts';
import type { Route } from '../routes/route-table.ts';
import type { BodyMeter } from './body-meter.ts';
import type { RequestHeaderResult } from './headers.ts';

/**
 * Everything one proxied request carries from parse to record; one object per request, and the
 * one argument of every step of the request path (request-path.ts). Every field is set in the
 * constructor, so all requests share one object shape; match and decide fill in theirs later.
 */
export class RequestState {
  /** match: the route, or undefined (legacy, untouched). */
  route: Route | undefined = undefined;
  /** decide: for a matched route. */
  decision: Decision | undefined = undefined;
  /** decide: a write legacy executes whose copy goes to the new side as a dry run. */
  dryRun = false;
  /** Response tee for the shadow hook; 0 = no tee (the plain fast path). */
  captureMax = 0;
  /** The request body as the upstream gets it: the client's stream, or a meter it runs through. */
  body: Readable | null = null;
  meter: BodyMeter | undefined = undefined;
  status = 0;
  attempt: { abort(err: Error): void } | undefined = undefined;
  /** The route's bulkhead slot or queue place (limits/route-bulkheads.ts), given back by record. */
  slot: { release(): void } | undefined = undefined;
  responseHeaders: string[] | undefined = undefined;
  #chunks: Buffer[] | undefined = undefined;
  #captured = 0;
  truncated = false;
  fellBack = false;
  /** Flat [name, value, …] pairs, as the upstream gets them. */
  readonly headers: string[];

  constructor(
    readonly proxy: ProxyContext,
    readonly res: ClientResponse,
    readonly method: string,
    /** The normalised path: what routes match on. */
    readonly routePath: string,
    /** Normalised path + original query: what the upstream gets. */
    readonly path: string,
    /** The request head made ready for the upstream, with what decide and the body need. */
    readonly head: RequestHeaderResult,
    readonly startedAt: number,
    readonly startedHr: number,
  ) {
    this.headers = head.headers;
  }

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
