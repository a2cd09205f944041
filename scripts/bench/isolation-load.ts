import { randomBytes } from 'node:crypto';
import { type Dispatcher, Pool } from 'undici';
import { percentile } from '../../lib/stats.ts';

/**
 * The load processes of the isolation benchmark (scripts/bench/isolation.ts), each its own
 * process so the readers' clock never waits on the flood's event loop:
 *
 *   isolation-load.ts read <origin> <rate> <seconds> <group>=<path>[,<path>…] [<group>=…]
 *     open loop: request i is due at start + i / rate, whether or not earlier ones answered, the
 *     paths taken in turn; latency counted from when it was due (no coordinated omission).
 *     Prints {groups: {<group>: {requests, errors, p50, p90, p99, max, samples}}}.
 *   isolation-load.ts flood <origin> <seconds> <clients>
 *     `clients` writers, each POSTing /products (a new product each time, a unique sku) as soon
 *     as its last one was answered, for `seconds`; told 503 with Retry-After, a writer waits
 *     that long (with jitter) first, as a client that honours it does. Prints {requests, byStatus, rps,
 *     createdPerS, p50, p99} (latency of the 201s).
 *
 * Every request carries `x-user-id` so the proxy's canary bucketing has a sticky id.
 * With --wait, the process prints `ready` once loaded and starts its load when a line arrives on
 * stdin, so the readers and the flood start together and neither measures the other's start-up
 * (loading a process costs a busy host's CPU for a second or more).
 */
const wait = process.argv.includes('--wait');
const [mode, origin, ...rest] = process.argv.slice(2).filter((a) => a !== '--wait');
if (!mode || !origin) {
  console.error('usage: isolation-load.ts read|flood <origin> … [--wait]');
  process.exit(2);
}
if (wait) {
  console.log('ready');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  process.stdin.pause();
}

const runId = randomBytes(4).toString('hex');
let productSeq = 0;
function productBody(): string {
  const n = productSeq++;
  return JSON.stringify({
    sku: `flood-${runId}-${n}`,
    name: `Flood product ${n}`,
    description: 'written by the isolation benchmark',
    price: '9.99',
    category: 'flood',
    stock: 5,
  });
}

class Timed implements Dispatcher.DispatchHandler {
  status = 0;
  constructor(
    readonly due: number,
    readonly done: (status: number, ms: number) => void,
  ) {}
  onConnect(): void {}
  onHeaders(statusCode: number): boolean {
    this.status = statusCode;
    return true;
  }
  onData(): boolean {
    return true;
  }
  onComplete(): void {
    this.done(this.status, performance.now() - this.due);
  }
  onError(): void {
    this.done(0, performance.now() - this.due);
  }
}

const ms = (v: number) => Math.round(v * 100) / 100;

/** Issues `total` requests evenly spaced at `rate`/s; resolves when every one has settled. */
function paced(total: number, rate: number, send: (i: number, due: number, settled: () => void) => void) {
  return new Promise<number>((resolve) => {
    const interval = 1000 / rate;
    const start = performance.now() + 20;
    let next = 0;
    let settled = 0;
    const onSettled = () => {
      if (++settled === total) resolve((performance.now() - start) / 1000);
    };
    const tick = () => {
      const now = performance.now();
      for (; next < total; next++) {
        const due = start + next * interval;
        if (due > now) break;
        send(next, due, onSettled);
      }
      if (next < total) setTimeout(tick, start + next * interval - performance.now());
    };
    setTimeout(tick, start - performance.now());
  });
}

async function read(): Promise<void> {
  const [rateArg, secondsArg, ...groupArgs] = rest;
  const rate = Number(rateArg);
  const total = Math.round(rate * Number(secondsArg));
  const targets: { group: string; path: string }[] = [];
  for (const g of groupArgs) {
    const [group, paths] = g.split('=');
    for (const p of paths!.split(',')) targets.push({ group: group!, path: p });
  }
  const pool = new Pool(origin!, { connections: 64, keepAliveTimeout: 30_000 });
  const latencies = new Map<string, number[]>();
  const errors = new Map<string, number>();
  for (const t of targets) {
    latencies.set(t.group, []);
    errors.set(t.group, 0);
  }
  await paced(total, rate, (i, due, settled) => {
    const t = targets[i % targets.length]!;
    pool.dispatch(
      {
        method: 'GET',
        path: t.path,
        headers: { accept: 'application/json', 'x-user-id': `reader-${i % 97}` },
      },
      new Timed(due, (status, took) => {
        if (status >= 200 && status < 300) latencies.get(t.group)!.push(took);
        else errors.set(t.group, errors.get(t.group)! + 1);
        settled();
      }),
    );
  });
  await pool.close();
  const groups: Record<string, unknown> = {};
  for (const [group, list] of latencies) {
    list.sort((a, b) => a - b);
    groups[group] = {
      requests: list.length + errors.get(group)!,
      errors: errors.get(group),
      p50: ms(percentile(list, 50)),
      p90: ms(percentile(list, 90)),
      p99: ms(percentile(list, 99)),
      max: ms(list.at(-1) ?? Number.NaN),
      samples: list.map(ms),
    };
  }
  console.log(JSON.stringify({ groups }));
}

async function flood(): Promise<void> {
  const [secondsArg, clientsArg] = rest;
  const clients = Number(clientsArg ?? 64);
  const started = performance.now();
  const until = started + Number(secondsArg) * 1000;
  const pool = new Pool(origin!, { connections: clients, keepAliveTimeout: 30_000 });
  const byStatus: Record<number, number> = {};
  const created: number[] = [];
  let requests = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < until) {
        const sent = performance.now();
        requests++;
        let status = 0;
        let retryAfterS = 0;
        try {
          const res = await pool.request({
            method: 'POST',
            path: '/products',
            headers: { 'content-type': 'application/json', 'x-user-id': `writer-${c}` },
            body: productBody(),
          });
          await res.body.dump();
          status = res.statusCode;
          retryAfterS = Number(res.headers['retry-after'] ?? 0);
        } catch {}
        byStatus[status] = (byStatus[status] ?? 0) + 1;
        if (status === 201) created.push(performance.now() - sent);
        // a client told to come back later does, after Retry-After with jitter (0.5–1.5 ×), as
        // well-behaved clients do: writers refused together do not all come back together
        if (status === 503 && retryAfterS > 0) {
          const waitMs = retryAfterS * 1000 * (0.5 + Math.random());
          await new Promise((r) => setTimeout(r, Math.min(waitMs, Math.max(0, until - performance.now()))));
        }
      }
    }),
  );
  await pool.close();
  created.sort((a, b) => a - b);
  console.log(
    JSON.stringify({
      requests,
      byStatus,
      rps: ms(requests / ((performance.now() - started) / 1000)),
      createdPerS: ms(created.length / ((performance.now() - started) / 1000)),
      p50: ms(percentile(created, 50)),
      p99: ms(percentile(created, 99)),
    }),
  );
}

await ({ read, flood } as Record<string, () => Promise<void>>)[mode]!();
