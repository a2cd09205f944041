import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Comparator, type ComparisonJob } from './comparator.ts';
import {
  createBatchDecoder,
  defaultConcurrency,
  type EncodedBatch,
  replyWindowMs,
  type WorkerReply,
} from './job-codec.ts';
import { NoiseModel } from './noise.ts';
import { createSender } from './send.ts';
import { LegacyPositionSource } from './source-position.ts';
import type { ComparisonWorkerInit } from './worker-executor.ts';

/**
 * The comparison worker thread (started by WorkerExecutor): the proxy's comparisons run
 * here, with their own event loop, HTTP client, noise model and legacy-position pool, so
 * calling the other side, diffing and waiting for a lagging side never delay a client.
 */
const init = workerData as ComparisonWorkerInit;

// Comparisons are background work: when the CPU is contended, the thread serving clients
// should run first. Linux keeps a nice value per thread; /proc/thread-self names this one.
try {
  const tid = Number(readlinkSync('/proc/thread-self').split('/').pop());
  if (tid > 0) os.setPriority(tid, init.niceness ?? 10);
} catch {
  // not Linux, or not permitted: the worker runs at the process's priority
}

const noise = new NoiseModel({ sampleRate: init.noiseSampleRate, warmup: init.noiseWarmup });
noise.restore(init.noiseState);
const positions = init.legacyMysqlUrl ? new LegacyPositionSource(init.legacyMysqlUrl) : undefined;
const send = createSender({ timeoutMs: init.timeoutMs });
const comparator = new Comparator({
  send,
  noise,
  legacyPosition: positions ? () => positions.current() : undefined,
  lagWaitMs: init.lagWaitMs,
  lagPollMs: init.lagPollMs,
});
const port = parentPort!;

const decode = createBatchDecoder();
const concurrency = init.concurrency ?? defaultConcurrency;
const queue: { id: number; job: ComparisonJob }[] = [];
let running = 0;

let replies: WorkerReply[] = [];
let replyTimer: NodeJS.Timeout | undefined;
const flushReplies = () => {
  clearTimeout(replyTimer);
  replyTimer = undefined;
  if (replies.length === 0) return;
  port.postMessage(replies);
  replies = [];
};
const reply = (r: WorkerReply) => {
  replies.push(r);
  if (replies.length >= concurrency) flushReplies();
  else replyTimer ??= setTimeout(flushReplies, replyWindowMs);
};

function pump(): void {
  while (running < concurrency && queue.length > 0) {
    const { id, job } = queue.shift()!;
    running++;
    comparator
      .run(job)
      .then(
        // Most comparisons match: those go back as their bare id (nothing to clone; the
        // answers are not needed on the proxy's thread, which records only the others). A
        // match that taught the noise model something carries the model's state, to persist.
        (result) =>
          reply(
            result.outcome !== 'match' || result.statusDiffers
              ? { id, result }
              : result.noiseState
                ? { id, result: { outcome: 'match', diffs: [], noise: [], noiseState: result.noiseState } }
                : id,
          ),
        (err: Error) => reply({ id, error: err.message }),
      )
      .finally(() => {
        running--;
        pump();
      });
  }
}

port.on('message', (message: EncodedBatch | { close: true }) => {
  if ('close' in message) {
    flushReplies();
    void Promise.allSettled([send.close(), positions?.close()]).then(() => port.close());
    return;
  }
  for (const job of decode(message)) queue.push(job);
  pump();
});
