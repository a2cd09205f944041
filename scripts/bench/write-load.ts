import { Pool } from 'undici';

/**
 * A fixed-rate, open-loop stream of writes (the write-switch bench and its test): write i is due
 * at start + i / rate and goes out then, whether or not earlier ones have answered; its latency
 * counts from when it was due (no coordinated omission), so a write the proxy held is charged
 * the whole hold. Every write keeps what it needs to be found again: its key, status, the side
 * that served it (the proxy's target header) and its latency.
 */
export interface WriteSpec {
  method: 'POST' | 'PATCH' | 'PUT';
  path: string;
  body: unknown;
  /** What identifies the write's effect (e.g. a product's sku). */
  key: string;
}

export interface WriteResult {
  key: string;
  status: number;
  /** The side that served it (x-strangler-target), or null. */
  target: string | null;
  /** From when it was due to its answer, ms; NaN when it failed at the connection. */
  latencyMs: number;
  error?: string;
}

export interface WriteLoad {
  /** Stops sending and resolves once every sent write is answered. */
  stop(): Promise<WriteResult[]>;
  sent(): number;
}

export function startWriteLoad(options: {
  url: string;
  rate: number;
  make: (i: number) => WriteSpec;
  connections?: number;
  targetHeader?: string;
}): WriteLoad {
  const pool = new Pool(options.url, { connections: options.connections ?? 64, keepAliveTimeout: 30_000 });
  const header = options.targetHeader ?? 'x-strangler-target';
  const interval = 1000 / options.rate;
  const results: Promise<WriteResult>[] = [];
  const start = performance.now() + 20;
  let next = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const send = (spec: WriteSpec, due: number): Promise<WriteResult> =>
    pool
      .request({
        method: spec.method,
        path: spec.path,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(spec.body),
      })
      .then(async (res) => {
        await res.body.text();
        const target = res.headers[header];
        return {
          key: spec.key,
          status: res.statusCode,
          target: typeof target === 'string' ? target : null,
          latencyMs: performance.now() - due,
        };
      })
      .catch((err: Error) => ({
        key: spec.key,
        status: 0,
        target: null,
        latencyMs: Number.NaN,
        error: err.message,
      }));
  const tick = () => {
    const now = performance.now();
    for (; !stopped; next++) {
      const due = start + next * interval;
      if (due > now) break;
      results.push(send(options.make(next), due));
    }
    if (!stopped) timer = setTimeout(tick, Math.max(0, start + next * interval - performance.now()));
  };
  timer = setTimeout(tick, 20);
  return {
    sent: () => results.length,
    async stop() {
      stopped = true;
      clearTimeout(timer);
      const out = await Promise.all(results);
      await pool.close();
      return out;
    },
  };
}
