import { execFileSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { freePort, waitForHttp } from '../../lib/net.ts';
import { medianBy } from '../../lib/stats.ts';
import { processCpuSeconds, treeCpuSeconds } from './proc-cpu.ts';
import { publishBenchmark } from './report.ts';
import { type WrkResult, wrk } from './wrk.ts';

/**
 * npm run bench:rate-limit — what a route's rate limit costs (strangler-proxy/limits/rate-limit.ts).
 * One upstream (the fast node:http test upstream, its own process), two proxies in front of it:
 * one process (counters in that process) and PROXY_WORKERS=BENCH_WORKERS (default one per core;
 * counters in the primary, one IPC round trip per check). Each proxy has three routes served by
 * legacy, comparisons off: `plain` (no limit, the reference), `client` (a per-client limit) and
 * `both` (per-client and per-route). The limits are far above what the run can send, so every
 * request is checked and none refused: the figures are the check's cost, not 429s. wrk -t1 -c32
 * with a random x-user-id per request (a new counter for most requests, the costly case). Rounds
 * alternate the targets; the median round counts. CPU time per request is read from /proc for the
 * whole proxy (primary + workers) and for the primary alone (where the workers' checks are
 * answered).
 * Bars: a limited route's proxy CPU per request ≤ 1.5 × the plain route's in one process (an
 * in-memory count), ≤ 2.5 × with workers (each check also crosses to the primary and back).
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const workers = Number(process.env.BENCH_WORKERS ?? os.availableParallelism());
const connections = 32;
const bar = { oneProcess: 1.5, workers: 2.5 };
const token = 'bench-token-0123456789';

function ensureWrk(): void {
  try {
    execFileSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' });
  } catch {
    console.error('installing wrk with apt-get');
    execFileSync(
      'sh',
      ['-c', 'apt-get install -y -q wrk || (apt-get update -q && apt-get install -y -q wrk)'],
      {
        stdio: 'inherit',
      },
    );
  }
}

interface Round extends WrkResult {
  /** CPU µs per request: the whole proxy, and its primary alone. */
  cpuUs: number;
  primaryCpuUs: number;
}

async function measured(url: string, script: string, pid: number): Promise<Round> {
  const [all0, primary0] = [treeCpuSeconds(pid), processCpuSeconds(pid)];
  const r = await wrk(url, script, seconds, connections);
  const [all1, primary1] = [treeCpuSeconds(pid), processCpuSeconds(pid)];
  const perRequest = (s: number) => (s * 1e6) / r.requests;
  return { ...r, cpuUs: perRequest(all1 - all0), primaryCpuUs: perRequest(primary1 - primary0) };
}

async function startProxy(dir: string, name: string, upstream: string, count: number) {
  const routesFile = path.join(dir, `${name}.routes.json`);
  const limit = { points: 1_000_000_000, durationMs: 1000 };
  const route = (id: string, rateLimit?: object) => ({
    id,
    methods: ['GET'],
    paths: [`/${id}/:id`],
    new: upstream,
    compare: { enabled: false },
    ...(rateLimit ? { rateLimit } : {}),
  });
  await fs.writeFile(
    routesFile,
    JSON.stringify({
      legacy: upstream,
      routes: [
        route('plain'),
        route('client', { perClient: limit }),
        route('both', { perClient: limit, perRoute: limit }),
      ],
    }),
  );
  const [port, adminPort] = [await freePort(), await freePort()];
  const proc = await startComponent({
    name,
    script: 'strangler-proxy/main.ts',
    env: {
      PROXY_PORT: String(port),
      PROXY_ADMIN_PORT: String(adminPort),
      PROXY_ROUTES_FILE: routesFile,
      STRANGLER_DATA_DIR: path.join(dir, name),
      PROXY_ADMIN_TOKEN: token,
      LOG_LEVEL: 'warn',
      PROXY_WORKERS: String(count),
      NODE_OPTIONS: '--max-semi-space-size=64',
    },
    // printed once every worker listens
    readyLine: 'strangler-proxy ready',
    readyTimeoutMs: 120_000,
  });
  await waitForHttp(`http://127.0.0.1:${port}/plain/1`);
  return { proc, url: `http://127.0.0.1:${port}`, adminUrl: `http://127.0.0.1:${adminPort}` };
}

async function main(): Promise<void> {
  ensureWrk();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-rate-limit-'));
  const children: ComponentProcess[] = [];
  try {
    const upPort = await freePort();
    children.push(
      await startComponent({
        name: 'upstream',
        script: 'strangler-proxy/testing/test-upstream.ts',
        args: [String(upPort), 'upstream', '--fast'],
        readyLine: 'ready on',
      }),
    );
    const upstream = `http://127.0.0.1:${upPort}`;
    const one = await startProxy(dir, 'proxy-1', upstream, 1);
    children.push(one.proc);
    const many = await startProxy(dir, `proxy-${workers}`, upstream, workers);
    children.push(many.proc);
    const scripts: Record<string, string> = {};
    for (const id of ['plain', 'client', 'both']) {
      scripts[id] = path.join(dir, `${id}.lua`);
      await fs.writeFile(
        scripts[id]!,
        `math.randomseed(os.time())\nrequest = function()\n  return wrk.format("GET", "/${id}/" .. math.random(1, 1000), { ["x-user-id"] = "u" .. math.random(1, 1000000) })\nend\n`,
      );
    }
    const targets = [
      { name: '1 process, no limit', proxy: one, route: 'plain' },
      { name: '1 process, per-client', proxy: one, route: 'client' },
      { name: '1 process, per-client + per-route', proxy: one, route: 'both' },
      { name: `${workers} workers, no limit`, proxy: many, route: 'plain' },
      { name: `${workers} workers, per-client`, proxy: many, route: 'client' },
      { name: `${workers} workers, per-client + per-route`, proxy: many, route: 'both' },
    ];
    const load = os.loadavg()[0]!.toFixed(2);
    for (const t of targets) await wrk(t.proxy.url, scripts[t.route]!, 2, connections); // warm-up
    const results = targets.map(() => [] as Round[]);
    for (let round = 0; round < rounds; round++) {
      for (const [i, t] of targets.entries()) {
        const r = await measured(t.proxy.url, scripts[t.route]!, t.proxy.proc.child.pid!);
        results[i]!.push(r);
        console.error(
          `round ${round + 1} ${t.name.padEnd(34)} ${r.rps.toFixed(0)} req/s  p99 ${r.p99ms} ms  errors ${r.errors}  CPU ${r.cpuUs.toFixed(1)} µs/req (primary ${r.primaryCpuUs.toFixed(1)})`,
        );
      }
    }
    // proof the limits were asked: the limited routes' requests went through unrefused and checked
    const unrefused = await Promise.all(
      [one, many].map(async (p) => {
        const text = await (
          await fetch(`${p.adminUrl}/metrics`, { headers: { authorization: `Bearer ${token}` } })
        ).text();
        return !/^strangler_proxy_rate_limit(ed|_unchecked)_total\{/m.test(text);
      }),
    );
    const median = results.map((rs) => medianBy(rs, (r) => r.rps));
    const medianCpu = results.map((rs) => medianBy(rs, (r) => r.cpuUs));
    const ratio = (i: number, ref: number) => medianCpu[i]!.cpuUs / medianCpu[ref]!.cpuUs;
    const ratios = {
      oneClient: ratio(1, 0),
      oneBoth: ratio(2, 0),
      manyClient: ratio(4, 3),
      manyBoth: ratio(5, 3),
    };
    const met =
      Math.max(ratios.oneClient, ratios.oneBoth) <= bar.oneProcess &&
      Math.max(ratios.manyClient, ratios.manyBoth) <= bar.workers &&
      unrefused.every(Boolean);
    const loadAfter = os.loadavg()[0]!.toFixed(2);
    const markdown = [
      `wrk -t1 -c${connections} -d${seconds}s, ${rounds} alternating rounds (median by req/s; CPU: median by CPU), random x-user-id per request; upstream: node:http fixed 13-byte JSON (one process); proxies: one process, and ${workers} workers (PROXY_WORKERS=${workers}); routes served by legacy, comparisons off; limits of 10⁹ requests per 1000 ms, so every request is checked and none refused (${unrefused.every(Boolean) ? 'confirmed: no 429 and no unchecked request in /metrics' : 'NOT confirmed: /metrics shows refused or unchecked requests'}). wrk, the upstream and both proxies share the ${os.availableParallelism()} cores.`,
      `1-min load average before/after: ${load} / ${loadAfter} (a shared machine; figures are noisy).`,
      '',
      '| target | req/s | p50 ms | p99 ms | proxy CPU µs/req | of which primary | CPU vs no limit | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...targets.map((t, i) => {
        const r = median[i]!;
        const ref = i < 3 ? 0 : 3;
        return `| ${t.name} | ${r.rps.toFixed(0)} | ${r.p50ms.toFixed(2)} | ${r.p99ms.toFixed(2)} | ${medianCpu[i]!.cpuUs.toFixed(1)} | ${medianCpu[i]!.primaryCpuUs.toFixed(1)} | ${ratio(i, ref).toFixed(2)} | ${r.errors} |`;
      }),
      '',
      `Bars: a limited route's proxy CPU per request ≤ ${bar.oneProcess} × the plain route's in one process (${ratios.oneClient.toFixed(2)}, ${ratios.oneBoth.toFixed(2)}), ≤ ${bar.workers} × with workers (${ratios.manyClient.toFixed(2)}, ${ratios.manyBoth.toFixed(2)}): ${met ? 'met' : 'NOT met'}.`,
    ].join('\n');
    console.error(markdown);
    const summary = {
      bench: 'proxy-rate-limit',
      workers,
      cpu_ratio_one_process_per_client: Number(ratios.oneClient.toFixed(3)),
      cpu_ratio_one_process_both: Number(ratios.oneBoth.toFixed(3)),
      cpu_ratio_workers_per_client: Number(ratios.manyClient.toFixed(3)),
      cpu_ratio_workers_both: Number(ratios.manyBoth.toFixed(3)),
      rps: Object.fromEntries(targets.map((t, i) => [t.name, Math.round(median[i]!.rps)])),
      load_avg_before: Number(load),
      bar_met: met,
    };
    if (process.env.BENCH_NO_PUBLISH === '1') console.log(JSON.stringify(summary));
    else
      await publishBenchmark({
        id: 'proxy-rate-limit',
        title: 'Strangler proxy: the cost of a rate limit',
        command: 'npm run bench:rate-limit',
        markdown,
        summary,
      });
  } finally {
    await Promise.allSettled(children.map((c) => c.stop()));
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
