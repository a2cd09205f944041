import { z } from 'zod';
import { ProxyError } from '../errors.ts';

/**
 * A bulkhead: at most `maxInFlight` requests of one route with its upstream at a time, so a
 * flood on one route cannot take every connection, worker or database slot of an upstream the
 * other routes share. Beyond the limit a request waits in a bounded FIFO queue (`queue`
 * places, at most `queueWaitMs` each) or, when the queue is full or absent, is refused at once;
 * the caller answers 503 with Retry-After before touching the upstream.
 *
 * The interface a front end uses (the standalone proxy's request path, or any other, e.g. an
 * Express middleware), all of it synchronous and callback-based (no promise per request):
 *
 *   const bulkhead = new Bulkhead({ maxInFlight: 4, queue: 16, queueWaitMs: 500 });
 *   bulkhead.enter(waiter);   // calls waiter.admitted() (now or later) or waiter.refused(reason)
 *   bulkhead.leave(waiter);   // the request ended, however: frees its slot or its queue place
 *
 * `leave` must be called exactly when the request is over for whatever reason (answered,
 * upstream error or timeout, client gone, even while still queued); it is idempotent, and a
 * waiter that was refused holds nothing. A slot freed by `leave` goes to the oldest waiter.
 * One Bulkhead per route per process: the counts are in this process's memory.
 */
export const bulkheadSchema = z
  .object({
    /** Requests of the route with its upstream at once (in this process). */
    maxInFlight: z.number().int().min(1).max(100_000),
    /** Requests that may wait for a slot; 0 (default): refuse at once when full. */
    queue: z.number().int().min(0).max(100_000).default(0),
    /** How long a request may wait in the queue before it is refused; needed with a queue. */
    queueWaitMs: z.number().int().min(1).max(600_000).optional(),
    /** The Retry-After a refused client is given, in whole seconds. */
    retryAfterS: z.number().int().min(0).max(3600).default(1),
  })
  .strict()
  .superRefine((b, ctx) => {
    if (b.queue > 0 && b.queueWaitMs === undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['queueWaitMs'],
        message: `a queue of ${b.queue} needs queueWaitMs, how long a request may wait for a slot`,
      });
    if (b.queue === 0 && b.queueWaitMs !== undefined)
      ctx.addIssue({
        code: 'custom',
        path: ['queueWaitMs'],
        message: 'queueWaitMs without a queue: set queue to the number of requests that may wait',
      });
  });

export type BulkheadInput = z.input<typeof bulkheadSchema>;
export type BulkheadLimits = z.output<typeof bulkheadSchema>;

/** Why a request was refused: no slot and no queue, the queue full, or its wait over. */
export type BulkheadRefusal = 'full' | 'queue-full' | 'queue-timeout';

export interface BulkheadWaiter {
  /** A slot is this request's: send it upstream. May be called inside enter(). */
  admitted(): void;
  /** Refused: answer 503 with Retry-After (bulkhead.limits.retryAfterS); it holds nothing. */
  refused(reason: BulkheadRefusal): void;
}

/** Validates limits given in code (the route table validates its own through the same schema). */
export function parseBulkheadLimits(input: unknown, where = 'bulkhead'): BulkheadLimits {
  const parsed = bulkheadSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${[where, ...i.path].join('.')}: ${i.message}`);
  throw new ProxyError(
    'PROXY_ERR_BULKHEAD_INVALID',
    `invalid bulkhead limits:\n  - ${problems.join('\n  - ')}`,
    {
      status: 400,
      context: { problems },
    },
  );
}

interface Queued {
  waiter: BulkheadWaiter;
  timer: NodeJS.Timeout;
}

export class Bulkhead {
  #limits: BulkheadLimits;
  /** Waiters holding a slot: leave() of one of them frees it, of anything else does not. */
  readonly #admitted = new Set<BulkheadWaiter>();
  readonly #queue: Queued[] = [];

  constructor(limits: BulkheadInput | BulkheadLimits) {
    this.#limits = parseBulkheadLimits(limits);
  }

  get limits(): BulkheadLimits {
    return this.#limits;
  }

  get inFlight(): number {
    return this.#admitted.size;
  }

  get queued(): number {
    return this.#queue.length;
  }

  /**
   * New limits (a route table reload): the requests in flight keep their slots and count
   * against the new limit; a larger limit admits waiters at once, a smaller queue refuses
   * the newest waiters beyond it.
   */
  setLimits(limits: BulkheadInput | BulkheadLimits): void {
    this.#limits = parseBulkheadLimits(limits);
    this.#admitNext();
    while (this.#queue.length > this.#limits.queue) {
      const last = this.#queue.pop()!;
      clearTimeout(last.timer);
      last.waiter.refused('queue-full');
    }
  }

  enter(waiter: BulkheadWaiter): void {
    const limits = this.#limits;
    if (this.#admitted.size < limits.maxInFlight && this.#queue.length === 0) {
      this.#admitted.add(waiter);
      waiter.admitted();
      return;
    }
    if (this.#queue.length >= limits.queue) {
      waiter.refused(limits.queue === 0 ? 'full' : 'queue-full');
      return;
    }
    const entry: Queued = { waiter, timer: setTimeout(() => this.#expire(entry), limits.queueWaitMs) };
    this.#queue.push(entry);
  }

  leave(waiter: BulkheadWaiter): void {
    if (this.#admitted.delete(waiter)) {
      this.#admitNext();
      return;
    }
    const i = this.#queue.findIndex((q) => q.waiter === waiter);
    if (i < 0) return;
    clearTimeout(this.#queue[i]!.timer);
    this.#queue.splice(i, 1);
  }

  #expire(entry: Queued): void {
    const i = this.#queue.indexOf(entry);
    if (i < 0) return;
    this.#queue.splice(i, 1);
    entry.waiter.refused('queue-timeout');
  }

  #admitNext(): void {
    while (this.#admitted.size < this.#limits.maxInFlight && this.#queue.length > 0) {
      const next = this.#queue.shift()!;
      clearTimeout(next.timer);
      this.#admitted.add(next.waiter);
      next.waiter.admitted();
    }
  }
}
