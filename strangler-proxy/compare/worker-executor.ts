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
        for (const [id, p] of this.#pending) {
          this.#pending.delete(id);
          p.reject(new Error(`the comparison worker exited (code ${code})`));
        }
        if (!this.#closing) {
          this.log?.warn({ code }, 'comparison worker exited; starting a new one');
          this.#start();
        }
        resolve();
      }),
    );
  }

  run(job: ComparisonJob): Promise<ComparisonResult> {
    return new Promise((resolve, reject) => {
      const id = this.#next++;
      this.#pending.set(id, { resolve, reject });
      const { job: encoded, transfer } = encodeJob(job);
      this.#worker.postMessage({ id, job: encoded }, transfer);
    });
  }

  async close(): Promise<void> {
    this.#closing = true;
    this.#worker.postMessage({ close: true });
    const timer = setTimeout(() => void this.#worker.terminate(), 2000);
    await this.#exited;
    clearTimeout(timer);
  }
}
