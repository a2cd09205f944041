import { Pool } from 'undici';
import type { RatePacer } from './pacer.ts';

/** One request the generator made, as the summary and the rehearsal gates read it. */
export interface RequestRecord {
  /** Endpoint name such as `products.list` (stable across runs, unlike the path). */
  endpoint: string;
  method: string;
  path: string;
  /** HTTP status; 0 when the request failed without an answer (refused, reset, timeout). */
  status: number;
  ms: number;
  /** Which side served it, from the proxy's target header when one is in front. */
  servedBy?: string;
}

export interface ShopReply {
  status: number;
  body: unknown;
}

/** Thrown inside a session when the run's time or request budget is spent. */
export class BudgetSpent extends Error {
  constructor() {
    super('load budget spent');
  }
}

/** Decides whether another request may start: the run's duration and request cap. */
export class RequestBudget {
  private started = 0;
  private readonly deadline: number;
  constructor(
    durationMs: number,
    private readonly maxRequests = Number.POSITIVE_INFINITY,
    private readonly signal?: AbortSignal,
  ) {
    this.deadline = Date.now() + durationMs;
  }

  take(): boolean {
    if (this.signal?.aborted || Date.now() >= this.deadline || this.started >= this.maxRequests) return false;
    this.started++;
    return true;
  }
}

export interface ShopClientOptions {
  baseUrl: string;
  connections: number;
  timeoutMs: number;
  pacer: RatePacer;
  budget: RequestBudget;
  onRecord: (record: RequestRecord) => void;
  /** Response header that names the serving side (the proxy's x-strangler-target). */
  targetHeader: string;
}

/**
 * The shop's HTTP API as the generator's virtual users call it. Every call waits for the
 * pacer, counts against the budget and reports a record, whatever the outcome.
 */
export class ShopClient {
  private readonly pool: Pool;
  constructor(private readonly options: ShopClientOptions) {
    this.pool = new Pool(options.baseUrl, {
      connections: options.connections,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
  }

  async call(
    endpoint: string,
    method: 'GET' | 'POST',
    path: string,
    identity: Record<string, string>,
    body?: unknown,
  ): Promise<ShopReply> {
    await this.options.pacer.wait();
    if (!this.options.budget.take()) throw new BudgetSpent();
    const started = performance.now();
    const headers: Record<string, string> = { accept: 'application/json', ...identity };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      const res = await this.pool.request({
        method,
        path,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.body.text();
      const ms = performance.now() - started;
      const served = res.headers[this.options.targetHeader];
      this.options.onRecord({
        endpoint,
        method,
        path,
        status: res.statusCode,
        ms,
        servedBy: typeof served === 'string' ? served : undefined,
      });
      return { status: res.statusCode, body: parseJson(text) };
    } catch {
      this.options.onRecord({ endpoint, method, path, status: 0, ms: performance.now() - started });
      return { status: 0, body: undefined };
    }
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}

function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}
