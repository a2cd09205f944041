import { spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '../../lib/component-process.ts';
import { percentile } from '../../lib/stats.ts';

/**
 * The migration story's load-isolation scenario, shared by the benchmark
 * (scripts/bench/isolation.ts) and its shorter test (test/e2e/isolation.test.ts): reads that
 * have nothing to do with products (users, orders) at a fixed rate through the proxy, alone or
 * beside a flood of POST /products, each load in its own process (isolation-load.ts).
 */
const loadScript = path.join(repoRoot, 'scripts', 'bench', 'isolation-load.ts');

/** A load process (isolation-load.ts --wait): `ready` once it is loaded, `go()` starts it, `result` its JSON. */
function loadProcess(args: string[]): { ready: Promise<void>; go(): void; result: Promise<unknown> } {
  const child = spawn(process.execPath, ['--import', 'tsx', loadScript, ...args, '--wait'], {
    cwd: repoRoot,
    env: { ...process.env, TSX_DISABLE_CACHE: '1' },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let out = '';
  let markReady: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  child.stdout.on('data', (c: Buffer) => {
    out += c;
    if (out.startsWith('ready\n')) markReady();
  });
  const result = new Promise<unknown>((resolve, reject) => {
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code === 0) resolve(JSON.parse(last));
      else reject(new Error(`isolation-load ${args[0]} exited with ${code}: ${out.slice(-500)}`));
    });
  });
  // a process that dies before it is ready must not leave the caller waiting
  result.catch(() => markReady());
  return { ready, go: () => child.stdin.end('go\n'), result };
}

export interface ReadStats {
  requests: number;
  errors: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  samples: number[];
}

export interface FloodStats {
  requests: number;
  byStatus: Record<string, number>;
  rps: number;
  createdPerS: number;
  p50: number;
  p99: number;
}

export interface PhaseResult {
  reads: Record<string, ReadStats>;
  flood?: FloodStats;
}

export interface PhaseOptions {
  proxyUrl: string;
  /** group → paths read in turn, e.g. {users: ['/users/1'], orders: ['/orders/3', '/users/1/orders']}. */
  reads: Record<string, string[]>;
  readRate: number;
  seconds: number;
  /** This many writers POSTing /products back to back (closed loop), for the same seconds. */
  flood?: { clients: number };
}

/** One measurement: the readers (and the flood) start together and run for `seconds`. */
export async function runPhase(options: PhaseOptions): Promise<PhaseResult> {
  const groups = Object.entries(options.reads).map(([g, paths]) => `${g}=${paths.join(',')}`);
  const procs = [
    loadProcess(['read', options.proxyUrl, String(options.readRate), String(options.seconds), ...groups]),
  ];
  if (options.flood)
    procs.push(
      loadProcess(['flood', options.proxyUrl, String(options.seconds), String(options.flood.clients)]),
    );
  await Promise.all(procs.map((p) => p.ready));
  for (const p of procs) p.go();
  const [r, f] = (await Promise.all(procs.map((p) => p.result))) as [
    { groups: Record<string, ReadStats> },
    FloodStats | undefined,
  ];
  return { reads: r.groups, ...(f ? { flood: f } : {}) };
}

/** p50/p99 over several groups' samples pooled (the unrelated reads together). */
export function pooled(result: PhaseResult, groups: string[]): { n: number; p50: number; p99: number } {
  const all = groups.flatMap((g) => result.reads[g]?.samples ?? []).sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 100) / 100;
  return { n: all.length, p50: r(percentile(all, 50)), p99: r(percentile(all, 99)) };
}

/** The route the flood goes through, with or without its bulkhead (the proxy's admin API body). */
export function productWritesRoute(
  newOrigin: string,
  bulkhead: { maxInFlight: number; queue?: number; queueWaitMs?: number; retryAfterS?: number } | undefined,
) {
  return {
    id: 'product-writes',
    description:
      'product writes stay on the monolith; the bulkhead keeps a flood of them from the other routes',
    methods: ['POST'],
    paths: ['/products'],
    new: newOrigin,
    compare: { enabled: false },
    ...(bulkhead ? { bulkhead } : {}),
  };
}
