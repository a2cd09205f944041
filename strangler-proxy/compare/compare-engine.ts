import type { Logger } from '../../lib/log.ts';
import type { Exchange, ShadowHook } from '../shadow-hook.ts';
import type { CaptureWriter } from './capture.ts';
import type { ComparisonExecutor, ComparisonResult } from './comparator.ts';
import type { ComparisonStore, Outcome, RecordedAnswer } from './comparison-store.ts';
import type { Answer, FieldDiff } from './diff.ts';
import {
  headerObject,
  type RedactionRules,
  redactBody,
  redactDiffs,
  redactHeaders,
  redactPath,
} from './redact.ts';
import type { CompiledRules } from './rules.ts';

/**
 * The comparison engine as the proxy's shadow hook. The client never waits for it:
 * `onExchange` only queues. A bounded number of comparisons run at once; beyond a bounded
 * queue an exchange is shed and counted. Each comparison runs in an executor (the
 * Comparator: other side, noise, diff, lag re-check), in the proxy a worker thread so that
 * none of that work shares the event loop serving clients; the outcome is counted and a
 * non-matching one recorded, redacted, here.
 */
export interface EngineRoute {
  rules: CompiledRules;
  legacy: string;
  new: string;
  /** Methods compared (default GET, HEAD: a write is never sent twice unless opted in). */
  methods: ReadonlySet<string>;
  /** Rules for a dry-run write's comparison (`compare.writeRules`); `rules` when absent. */
  writeRules?: CompiledRules;
  /** In mode `new`, legacy is still called in the background until this time (bake period). */
  bakeUntil?: number;
}

export interface CompareEngineOptions {
  routes: (routeId: string) => EngineRoute | undefined;
  executor: ComparisonExecutor;
  store: ComparisonStore;
  redaction: RedactionRules;
  capture?: CaptureWriter;
  concurrency?: number;
  queueLimit?: number;
  log?: Logger;
}

interface Job {
  exchange: Exchange;
  route: EngineRoute;
}

export class CompareEngine implements ShadowHook {
  readonly modes = new Set(['shadow', 'canary', 'new'] as const);
  readonly #queue: Job[] = [];
  #running = 0;
  #idle: (() => void)[] = [];
  #closed = false;
  readonly #concurrency: number;
  readonly #queueLimit: number;

  constructor(private readonly options: CompareEngineOptions) {
    this.#concurrency = options.concurrency ?? 8;
    this.#queueLimit = options.queueLimit ?? 256;
  }

  onExchange(exchange: Exchange): void {
    if (this.#closed) return;
    const route = this.options.routes(exchange.routeId);
    if (!route) return;
    // a dry-run write is always compared (and counted as a write); other methods as configured
    if (!exchange.dryRun && !route.methods.has(exchange.request.method)) return;
    if (
      exchange.mode === 'new' &&
      exchange.servedBy === 'new' &&
      !(route.bakeUntil && Date.now() < route.bakeUntil)
    )
      return;
    this.options.capture?.offer(exchange, this.options.redaction);
    if (this.#running >= this.#concurrency && this.#queue.length >= this.#queueLimit) {
      this.options.store.count(exchange.routeId, 'shed', { write: exchange.dryRun });
      return;
    }
    this.#queue.push({ exchange, route });
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#running++;
      this.#compare(job)
        .catch((err: Error) =>
          this.options.log?.warn({ err: err.message, route: job.exchange.routeId }, 'comparison failed'),
        )
        .finally(() => {
          this.#running--;
          this.#pump();
          if (this.#running === 0 && this.#queue.length === 0)
            for (const done of this.#idle.splice(0)) done();
        });
    }
  }

  /** Resolves when every queued comparison has finished (tests, shutdown). */
  drain(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.drain();
    await this.options.executor.close?.();
  }

  async #compare({ exchange, route }: Job): Promise<void> {
    let result: ComparisonResult;
    try {
      result = await this.options.executor.run({
        exchange,
        route: {
          rules: (exchange.dryRun ? (route.writeRules ?? route.rules) : route.rules).spec,
          legacy: route.legacy,
          new: route.new,
        },
      });
    } catch (err) {
      result = {
        outcome: 'error',
        note: `comparison failed: ${(err as Error).message}`,
        diffs: [],
        noise: [],
      };
    }
    if (result.noiseState) this.options.store.setNoiseState(result.noiseState);
    this.#finish(exchange, route, result.outcome, result);
  }

  #finish(
    exchange: Exchange,
    route: EngineRoute,
    outcome: Outcome,
    detail: {
      legacy?: Answer;
      candidate?: Answer;
      diffs: FieldDiff[];
      noise: FieldDiff[];
      note?: string;
      statusDiffers?: boolean;
    },
  ): void {
    const { store, redaction } = this.options;
    store.count(exchange.routeId, outcome, { write: exchange.dryRun, statusDiffers: detail.statusDiffers });
    if (outcome === 'match' || outcome === 'shed') return;
    const requestHeaders = headerObject(exchange.request.headers);
    store.record({
      routeId: exchange.routeId,
      outcome,
      request: {
        method: exchange.request.method,
        path: redactPath(exchange.request.path, redaction),
        headers: redactHeaders(requestHeaders, redaction),
        body: redactBody(exchange.request.body, requestHeaders['content-type'], redaction),
      },
      legacy: detail.legacy && recorded(detail.legacy, redaction),
      new: detail.candidate && recorded(detail.candidate, redaction),
      diffs: redactDiffs(detail.diffs, redaction),
      noise: redactDiffs(detail.noise, redaction),
      note:
        detail.note ?? (route.bakeUntil && exchange.mode === 'new' ? 'bake-period legacy shadow' : undefined),
    });
  }
}

function recorded(answer: Answer, redaction: RedactionRules): RecordedAnswer {
  return {
    status: answer.status,
    headers: redactHeaders(answer.headers, redaction),
    body: redactBody(answer.body, answer.headers['content-type'], redaction),
  };
}
