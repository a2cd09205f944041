import { Worker } from 'node:worker_threads';
import type { Logger } from '../../lib/log.ts';
import type { ComparisonExecutor, ComparisonJob, ComparisonResult } from './comparator.ts';
import type { NoiseState } from './comparison-store.ts';
import { encodeJob } from './job-codec.ts';

export interface ComparisonWorkerInit {
  noiseSampleRate: number;
  noiseWarmup: number;
  noiseState: NoiseState;
  legacyMysqlUrl?: string;
  lagWaitMs?: number;
  lagPollMs?: number;
  timeoutMs?: number;
  /** Nice value of the worker thread (Linux), default 10: clients are served first. */
  niceness?: number;
}

const matched: ComparisonResult = { outcome: 'match', diffs: [], noise: [] };

export const asBuffer = (u: Uint8Array): Buffer =>
  Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * Runs comparisons in a worker thread (comparison-worker.ts). A worker that dies fails its
 * in-flight comparisons (counted as errors by the engine) and is started again with the
 * noise model as last persisted.
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
    const worker = new Worker(
      `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`,
      { eval: true, workerData: this.init(), name: 'strangler-compare' },
    );
    this.#worker = worker;
    this.#alive = true;
    this.#startedAt = Date.now();
    worker.unref();
    worker.on('message', (message: number | { id: number; result?: ComparisonResult; error?: string }) => {
      const m = typeof message === 'number' ? { id: message, result: matched } : message;
      const pending = this.#pending.get(m.id);
      if (!pending) return;
      this.#pending.delete(m.id);
      if (m.error !== undefined || !m.result) return pending.reject(new Error(m.error));
      for (const answer of [m.result.legacy, m.result.candidate])
        if (answer) answer.body = asBuffer(answer.body);
      pending.resolve(m.result);
    });
    worker.on('error', (err) => this.log?.error({ err }, 'comparison worker failed'));
    this.#exited = new Promise((resolve) =>
      worker.once('exit', (code) => {
        this.#alive = false;
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
      const { job: encoded, transfer } = encodeJob(job);
      this.#worker.postMessage({ id, job: encoded }, transfer);
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    clearTimeout(this.#restart);
    if (!this.#alive) return;
    this.#worker.postMessage({ close: true });
    const timer = setTimeout(() => void this.#worker.terminate(), 2000);
    await this.#exited;
    clearTimeout(timer);
  }
}
