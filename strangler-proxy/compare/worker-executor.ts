import { Worker } from 'node:worker_threads';
import type { Logger } from '../../lib/log.ts';
import { asBuffer } from '../shadow-hook.ts';
import type { ComparisonExecutor, ComparisonJob, ComparisonResult } from './comparator.ts';
import type { NoiseState } from './comparison-store.ts';
import { defaultConcurrency, JobBatchWriter, jobWindowMs, type WorkerReply } from './job-codec.ts';

export interface ComparisonWorkerInit {
  noiseSampleRate: number;
  noiseWarmup: number;
  noiseState: NoiseState;
  legacyMysqlUrl?: string;
  lagWaitMs?: number;
  lagPollMs?: number;
  timeoutMs?: number;
  /** Comparisons the worker runs at once (default 16); it queues the rest in arrival order. */
  concurrency?: number;
  /** Nice value of the worker thread (Linux), default 10: clients are served first. */
  niceness?: number;
}

const matched: ComparisonResult = { outcome: 'match', diffs: [], noise: [] };

/**
 * Runs comparisons in a worker thread (comparison-worker.ts), jobs and results crossing in
 * batches (job-codec.ts). The worker itself bounds how many run at once: a bound here would
 * count jobs still waiting in a batch as running. Whoever submits bounds what is outstanding
 * (the engine sheds beyond it). A worker that dies fails its in-flight comparisons (counted
 * as errors by the engine) and is started again with the noise model as last persisted.
 */
export class WorkerExecutor implements ComparisonExecutor {
  #worker!: Worker;
  readonly #pending = new Map<
    number,
    { resolve: (r: ComparisonResult) => void; reject: (e: Error) => void }
  >();
  #next = 0;
  #closing = false;
  #alive = false;
  #startedAt = 0;
  #backoffMs = 0;
  #restart: NodeJS.Timeout | undefined;
  #exited: Promise<void> = Promise.resolve();
  readonly #batch = new JobBatchWriter();
  #batchLimit = defaultConcurrency;
  #flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly init: () => ComparisonWorkerInit,
    private readonly log?: Logger,
  ) {
    this.#start();
  }

  #start(): void {
    // The worker's entry is TypeScript: register tsx in the worker first (a worker started
    // straight from a .ts file does not get the parent's --import loader on Node 20).
    const entry = new URL('./comparison-worker.ts', import.meta.url).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    const init = this.init();
    this.#batchLimit = init.concurrency ?? defaultConcurrency;
    const worker = new Worker(
      `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`,
      { eval: true, workerData: init, name: 'strangler-compare' },
    );
    this.#worker = worker;
    this.#alive = true;
    this.#startedAt = Date.now();
    worker.unref();
    worker.on('message', (replies: WorkerReply[]) => {
      for (const reply of replies) {
        const id = typeof reply === 'number' ? reply : reply.id;
        const pending = this.#pending.get(id);
        if (!pending) continue;
        this.#pending.delete(id);
        if (typeof reply === 'number') pending.resolve(matched);
        else if ('error' in reply) pending.reject(new Error(reply.error));
        else {
          for (const answer of [reply.result.legacy, reply.result.candidate])
            if (answer) answer.body = asBuffer(answer.body);
          pending.resolve(reply.result);
        }
      }
    });
    worker.on('error', (err) => this.log?.error({ err }, 'comparison worker failed'));
    this.#exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.#alive = false;
        // jobs still waiting for their batch are among the pending ones failed below
        clearTimeout(this.#flushTimer);
        this.#flushTimer = undefined;
        this.#batch.clear();
        for (const [id, p] of this.#pending) {
          this.#pending.delete(id);
          p.reject(new Error(`the comparison worker exited (code ${code})`));
        }
        if (!this.#closing) {
          // A worker that dies right after starting (it cannot load, say) is not restarted
          // in a tight loop: the wait doubles up to 30 s; one that ran a while restarts at once.
          this.#backoffMs =
            Date.now() - this.#startedAt < 5000 ? Math.min(30_000, Math.max(500, this.#backoffMs * 2)) : 0;
          this.log?.warn(
            { code, restartInMs: this.#backoffMs },
            'comparison worker exited; starting a new one',
          );
          this.#restart = setTimeout(() => this.#start(), this.#backoffMs);
          this.#restart.unref();
        }
        resolve();
      }),
    );
  }

  run(job: ComparisonJob): Promise<ComparisonResult> {
    // between a worker's exit and its restart a message would be lost, never answered
    if (!this.#alive) return Promise.reject(new Error('the comparison worker is restarting'));
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { resolve, reject });
      this.#batch.add(id, job);
      if (this.#batch.size >= this.#batchLimit) this.#flush();
      else this.#flushTimer ??= setTimeout(this.#flush, jobWindowMs);
    });
  }

  readonly #flush = (): void => {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#batch.size === 0) return;
    const { batch, transfer } = this.#batch.take();
    this.#worker.postMessage(batch, transfer);
  };

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#restart);
    if (!this.#alive) return;
    this.#flush();
    this.#worker.postMessage({ close: true });
    const timer = setTimeout(() => void this.#worker.terminate(), 2000);
    await this.#exited;
    clearTimeout(timer);
  }
}
