import { Pool } from 'undici';

export interface PoolOptions {
  connections: number;
  pipelining: number;
  connectTimeoutMs: number;
}

/**
 * One undici Pool per upstream origin, keep-alive on. Pools exist only for origins the route
 * table names (plus the table's legacy default): there is no code path that opens a
 * connection to an origin taken from the request.
 */
export class UpstreamPools {
  readonly #pools = new Map<string, Pool>();

  constructor(private readonly options: PoolOptions) {}

  get(origin: string): Pool {
    let pool = this.#pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: this.options.connections,
        pipelining: this.options.pipelining,
        connectTimeout: this.options.connectTimeoutMs,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 600_000,
      });
      this.#pools.set(origin, pool);
    }
    return pool;
  }

  /** After a route table change: close pools for origins no table names any more. */
  retain(origins: ReadonlySet<string>): void {
    for (const [origin, pool] of this.#pools) {
      if (!origins.has(origin)) {
        this.#pools.delete(origin);
        pool.close().catch(() => {});
      }
    }
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.#pools.values()].map((p) => p.destroy()));
    this.#pools.clear();
  }
}
