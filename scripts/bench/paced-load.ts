import { type Dispatcher, Pool } from 'undici';
import { percentile } from '../../lib/stats.ts';

/**
 * A fixed-rate, open-loop HTTP load generator for the benchmarks, run as its own process:
 *   tsx scripts/bench/paced-load.ts <url> <rate> <seconds> [connections] [--samples]
 * Request i is due at start + i / rate and goes out then, whether or not earlier ones have
 * answered (over up to `connections` keep-alive connections; beyond that undici queues it).
 * Its latency is counted from when it was due, not from when it went out, so a server that
 * stalls is charged for every request it held up (no coordinated omission). Prints one JSON
 * object: requests, errors (network errors and non-2xx), achieved rate and latency
 * percentiles in ms over every answered request; with --samples also every answered
 * request's latency (ms, 0.01 resolution), so a caller can pool several runs.
 *
 * Why not autocannon -R: it sends each connection's quota for the second back to back at the
 * start of every second (a burst of the whole second's requests, then silence), and its
 * coordinated-omission correction assumes 1 ms between requests, adding a sample at every
 * millisecond below each latency. That measures a burst, not a rate.
 */
const withSamples = process.argv.includes('--samples');
const [url, rateArg, secondsArg, connectionsArg] = process.argv.slice(2).filter((a) => a !== '--samples');
if (!url || !rateArg || !secondsArg) {
  console.error('usage: paced-load.ts <url> <rate> <seconds> [connections] [--samples]');
  process.exit(2);
}
const rate = Number(rateArg);
const total = Math.round(rate * Number(secondsArg));
const target = new URL(url);
const path = target.pathname + target.search;
const pool = new Pool(target.origin, { connections: Number(connectionsArg ?? 32), keepAliveTimeout: 30_000 });

const interval = 1000 / rate;
const latencies = new Float64Array(total).fill(Number.NaN);
let errors = 0;
let settled = 0;
let allSettled: () => void;
const finished = new Promise<void>((resolve) => {
  allSettled = resolve;
});

class Timed implements Dispatcher.DispatchHandler {
  #status = 0;
  constructor(
    readonly index: number,
    readonly due: number,
  ) {}
  onConnect(): void {}
  onHeaders(statusCode: number): boolean {
    this.#status = statusCode;
    return true;
  }
  onData(): boolean {
    return true;
  }
  onComplete(): void {
    if (this.#status >= 200 && this.#status < 300) latencies[this.index] = performance.now() - this.due;
    else errors++;
    if (++settled === total) allSettled();
  }
  onError(): void {
    errors++;
    if (++settled === total) allSettled();
  }
}

const start = performance.now() + 20;
let next = 0;
function tick(): void {
  const now = performance.now();
  for (; next < total; next++) {
    const due = start + next * interval;
    if (due > now) break;
    pool.dispatch({ method: 'GET', path, headers: { accept: 'application/json' } }, new Timed(next, due));
  }
  if (next < total) setTimeout(tick, start + next * interval - performance.now());
}
setTimeout(tick, start - performance.now());
await finished;
const elapsedS = (performance.now() - start) / 1000;
await pool.close();

const answered = Array.from(latencies.filter((l) => !Number.isNaN(l))).sort((a, b) => a - b);
const at = (p: number) => percentile(answered, p);
const ms = (v: number) => Math.round(v * 100) / 100;
console.log(
  JSON.stringify({
    requests: total,
    errors,
    rps: ms(total / elapsedS),
    p50: ms(at(50)),
    p90: ms(at(90)),
    p99: ms(at(99)),
    p999: ms(at(99.9)),
    max: ms(answered.at(-1) ?? Number.NaN),
    ...(withSamples ? { samples: answered.map(ms) } : {}),
  }),
);
