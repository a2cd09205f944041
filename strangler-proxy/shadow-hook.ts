import type { Mode } from './flags/flag-mapping.ts';

/**
 * The shadow hook: the one seam between the proxy and anything that wants to see both sides
 * of a migrated route (the comparison engine in strangler-proxy/compare/ plugs in here).
 *
 * Contract
 * - Called for requests on routes with `compare.enabled` whose decision was shadow (legacy
 *   served), canary or new (new served) — never for legacy-mode or unmatched requests, so
 *   the plain path does no teeing at all. A route's write comes only when legacy executed it
 *   outside plain legacy (`dryRun`, flags/write-side.ts).
 * - Called once, AFTER the served response has completed (last byte handed to the client
 *   socket), and not at all when it failed midway or the client went away.
 * - Called synchronously: `onExchange` must be cheap and must not throw (the proxy catches
 *   and logs if it does). Do real work (calling the other side, comparing) in the
 *   background with bounded concurrency; the exchange object is yours to keep.
 * - In canary/new mode the proxy itself calls nothing on the legacy side: a legacy shadow
 *   during a bake period is the hook's job (use `otherUpstream`).
 * - `request.headers` are the headers the upstream got (hop-by-hop removed, X-Forwarded-*,
 *   Forwarded and traceparent set), as a flat [name, value, …] array with lower-case names.
 * - `request.body` is only captured for methods listed in the route's
 *   `compare.captureRequestBodyMethods`, and for every dry-run write (`dryRun`), up to
 *   `compare.maxBodyBytes`; undefined otherwise.
 *   `requestBodyTruncated` says when the cap cut it.
 * - `response.body` holds the bytes streamed to the client (not a copy: read-only), capped the same way
 *   (`truncated` says so); `response.headers` are the upstream's headers as sent on.
 */
export interface Exchange {
  routeId: string;
  mode: Exclude<Mode, 'legacy'>;
  servedBy: 'legacy' | 'new';
  other: 'legacy' | 'new';
  /** Origin of the side that did not serve, e.g. "http://127.0.0.1:3101". */
  otherUpstream: string;
  request: {
    method: string;
    /** Normalised path plus the original query string: what the served upstream received. */
    path: string;
    headers: string[];
    body: Buffer | undefined;
    bodyTruncated: boolean;
  };
  response: {
    status: number;
    headers: string[];
    body: Buffer;
    truncated: boolean;
  };
  /** Epoch milliseconds when the proxy got the request. */
  startedAt: number;
  durationMs: number;
  /** True when the new side failed and legacy served instead (servedBy is then 'legacy'). */
  fellBack: boolean;
  /**
   * A write of the route (its `writes`) that legacy executed: the other side must get it only
   * as a dry run (contract/dry-run.ts), and legacy is never asked again for it.
   */
  dryRun: boolean;
}

/**
 * A body that crossed a thread or process boundary (structured clone) arrives as a
 * Uint8Array; this views the same memory as a Buffer, without copying.
 */
export const asBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/** The modes a hook gets exchanges for when it names none. */
export const defaultHookModes: ReadonlySet<Exclude<Mode, 'legacy'>> = new Set(['shadow', 'canary', 'new']);

export interface ShadowHook {
  /**
   * The modes this hook wants exchanges for (default: `defaultHookModes`). The proxy only
   * tees bodies for requests in these modes, so a hook that only needs shadow keeps canary
   * and new traffic on the plain path.
   */
  readonly modes?: ReadonlySet<Exclude<Mode, 'legacy'>>;
  onExchange(exchange: Exchange): void;
  /** Called on proxy shutdown; finish or drop background work. */
  close?(): Promise<void>;
}
