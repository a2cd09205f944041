import type { Logger } from '../../lib/log.ts';
import type { UpstreamPools } from '../forward/upstream-pools.ts';
import type { ProxyStats } from '../metrics.ts';
import type { Exchange, ShadowHook } from '../shadow-hook.ts';

/**
 * The default hook until the comparison engine lands: in shadow mode, replay the request
 * at the new side in the background and discard the answer. Bounded: at most `concurrency`
 * copies in flight; beyond that a copy is dropped and counted, never queued, so a slow new
 * service cannot make the proxy hold memory. Only methods the route lists in
 * `compare.shadowMethods` (default GET, HEAD) are replayed; a write is never sent twice.
 */
export class BackgroundShadowHook implements ShadowHook {
  readonly modes = new Set(['shadow'] as const);
  #inFlight = 0;

  constructor(
    private readonly pools: UpstreamPools,
    private readonly stats: ProxyStats,
    private readonly options: {
      concurrency: number;
      timeoutMs: number;
      shadowMethods: (routeId: string) => ReadonlySet<string> | undefined;
    },
    private readonly log: Logger,
  ) {}

  onExchange(exchange: Exchange): void {
    if (exchange.mode !== 'shadow' || exchange.servedBy !== 'legacy' || exchange.fellBack) return;
    const methods = this.options.shadowMethods(exchange.routeId);
    if (!methods?.has(exchange.request.method)) return;
    if (exchange.request.bodyTruncated) return;
    if (this.#inFlight >= this.options.concurrency) {
      this.stats.shadowDropped++;
      return;
    }
    this.#inFlight++;
    this.stats.shadowSent++;
    const headers = exchange.request.headers.slice();
    headers.push('x-strangler-shadow', '1');
    this.pools
      .get(exchange.otherUpstream)
      .request({
        method: exchange.request.method as 'GET',
        path: exchange.request.path,
        headers,
        body: exchange.request.body,
        headersTimeout: this.options.timeoutMs,
        bodyTimeout: this.options.timeoutMs,
      })
      .then((res) => res.body.dump())
      .catch((err: Error) => {
        this.stats.shadowFailed++;
        this.log.debug({ err: err.message, route: exchange.routeId }, 'shadow copy failed');
      })
      .finally(() => {
        this.#inFlight--;
      });
  }
}
