import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { type ComponentProcess, repoRoot, startComponent } from '../../lib/component-process.ts';
import { freePort } from '../../lib/net.ts';
import { percentile } from '../../lib/stats.ts';
import type { CompareReport, ComparisonRecord, RouteCounters } from '../../strangler-proxy/compare/index.ts';
import type { TestProxy } from '../../strangler-proxy/testing/harness.ts';

/** The comparison fixture upstream (strangler-proxy/compare/testing/compare-upstream.ts) as a process. */
export async function startFixture(
  role: 'legacy' | 'new',
  env: Record<string, string> = {},
): Promise<{ url: string; proc: ComponentProcess }> {
  const port = await freePort();
  const proc = await startComponent({
    name: `fixture-${role}`,
    script: 'strangler-proxy/compare/testing/compare-upstream.ts',
    args: [String(port), role],
    env,
    readyLine: 'ready on',
  });
  return { url: `http://127.0.0.1:${port}`, proc };
}

export async function compareReport(proxy: TestProxy): Promise<CompareReport> {
  const res = await proxy.admin('/compare/report');
  if (res.status !== 200) throw new Error(`GET /compare/report answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as CompareReport;
}

export const zero: RouteCounters = { match: 0, mismatch: 0, noise: 0, lag: 0, error: 0, shed: 0 };

export async function countersOf(proxy: TestProxy, route: string): Promise<RouteCounters> {
  return (await compareReport(proxy)).routes.find((r) => r.routeId === route)?.counters ?? { ...zero };
}

const total = (c: RouteCounters) => c.match + c.mismatch + c.noise + c.lag + c.error + c.shed;

/** Waits until `route` has `n` outcomes in all (comparisons run in the background). */
export async function untilCounted(proxy: TestProxy, route: string, n: number, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const c = await countersOf(proxy, route);
    if (total(c) >= n) return c;
    if (Date.now() > deadline)
      throw new Error(
        `route ${route}: ${total(c)} of ${n} comparisons after ${timeoutMs} ms: ${JSON.stringify(c)}`,
      );
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function recordsOf(proxy: TestProxy, route: string): Promise<ComparisonRecord[]> {
  const res = await proxy.admin(`/compare/records?route=${route}&limit=1000`);
  return ((await res.json()) as { records: ComparisonRecord[] }).records;
}

const run = promisify(execFile);

/** Runs the `strangler` bin as its own process; resolves with its exit code and output. */
export async function strangler(args: string[], env: Record<string, string> = {}) {
  try {
    const { stdout, stderr } = await run(
      process.execPath,
      ['--import', 'tsx', path.join(repoRoot, 'scripts/strangler.ts'), ...args],
      { cwd: repoRoot, env: { ...process.env, ...env }, maxBuffer: 16 << 20, timeout: 120_000 },
    );
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    if (typeof e.code !== 'number') throw err;
    return { code: e.code, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** Nearest-rank percentile of unsorted values. */
export function percentileOf(values: number[], p: number): number {
  return percentile(
    [...values].sort((a, b) => a - b),
    p,
  );
}
