import { readlinkSync } from 'node:fs';
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { Comparator } from './comparator.ts';
import { createJobDecoder, type EncodedJob } from './job-codec.ts';
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

const decode = createJobDecoder();

port.on('message', (message: { id: number; job: EncodedJob } | { close: true }) => {
  if ('close' in message) {
    void Promise.allSettled([send.close(), positions?.close()]).then(() => port.close());
    return;
  }
  const { id } = message;
  comparator.run(decode(message.job)).then(
    // Most comparisons match: those come back as their bare id (nothing to clone; the
    // answers are not needed on the proxy's thread). A match that taught the noise model
    // something comes back whole, so its state is persisted.
    (result) => port.postMessage(result.outcome === 'match' && !result.noiseState ? id : { id, result }),
    (err: Error) => port.postMessage({ id, error: err.message }),
  );
});
