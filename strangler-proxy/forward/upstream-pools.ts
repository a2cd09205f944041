import { type PoolOptions, UpstreamPool } from './upstream-pool.ts';

/**
 * One keep-alive pool per upstream origin (upstream-pool.ts). Pools exist only for origins
 * the route table names (plus the table's legacy default): there is no code path that opens
 * a connection to an origin taken from the request.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, UpstreamPool>();

  constructor(private readonly options: PoolOptions) {}

  get(origin: string): UpstreamPool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new UpstreamPool(origin, this.options);
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** After a route table change: close pools for origins no table names any more. */
  retain(origins: ReadonlySet<string>): void {
    for (const [origin, pool] of this.#pools) {
      if (!origins.has(origin)) {
        this.#pools.delete(origin);
        pool.close();
      }
    }
  }

  async close(): Promise<void> {
    for (const pool of this.#pools.values()) pool.destroy();
    this.#pools.clear();
  }
}
