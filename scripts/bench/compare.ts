import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type ComponentProcess, repoRoot, startComponent } from '../../lib/component-process.ts';
import { freePort, waitForHttp } from '../../lib/net.ts';
import { medianBy, percentile } from '../../lib/stats.ts';
import {
  type Answer,
  benchBody,
  Comparator,
  CompareEngine,
  type ComparisonExecutor,
  ComparisonStore,
  compileRules,
  defaultRedaction,
  diffAnswers,
  NoiseModel,
  type Send,
  WorkerExecutor,
} from '../../strangler-proxy/compare/index.ts';
import type { Exchange } from '../../strangler-proxy/shadow-hook.ts';
import { startProxy, type TestProxy } from '../../strangler-proxy/testing/harness.ts';
import { processCpuSeconds, statCpuSeconds } from './proc-cpu.ts';
import { publishBenchmark } from './report.ts';

/**
 * npm run bench:compare — the comparison engine's cost, two ways:
 * 1. compared pairs/s on 2 KiB JSON bodies: the engine in this process (queue, the other
 *    side's answer, noise sampling at the proxy's defaults, structural diff under rules, the
 *    store with its records), the other side answering in-process so the engine is measured,
 *    not HTTP; the same with the other side a real upstream process over HTTP; and the bare diff.
 * 2. client latency through the real proxy process at a fixed request rate (paced-load.ts, its
 *    own process: requests evenly spaced, open loop, latency counted from when each was due):
 *    two routes to the same two upstreams (fixture processes answering the 2 KiB body), both
 *    in shadow mode, one with comparisons on and one off. Short rounds alternate; each side's
 *    p50/p99 is taken over every request of its rounds pooled (a 5 s round's own p99 is its
 *    20th slowest request, and moved between rounds by more than the bar).
 * Bar: ≥ 5k compared pairs/s; client p99 with shadow on ≤ 1.2 × shadow off.
 */
const pairsTotal = Number(process.env.BENCH_PAIRS ?? 50_000);
const rate = Number(process.env.BENCH_RATE ?? 400);
const seconds = Number(process.env.BENCH_SECONDS ?? 5);
const rounds = Number(process.env.BENCH_ROUNDS ?? 12);
// enough connections that the fixed rate stays reachable when latency rises under load
const connections = 32;
const run = promisify(execFile);

const json = (value: unknown): Answer => ({
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8' },
  body: Buffer.from(JSON.stringify(value)),
});

// The rules a real route would carry: a set-valued array, decimals as strings, an ignored field.
const rules = compileRules({
  arrays: [{ path: '$.tags', mode: 'set' }],
  decimalStringsAsNumbers: true,
  ignore: ['$.attributes[*].unit'],
});

interface Origins {
  legacy: string;
  new: string;
}

function exchange(i: number, body: Buffer, origins: Origins): Exchange {
  return {
    routeId: 'bench',
    mode: 'shadow',
    servedBy: 'legacy',
    other: 'new',
    otherUpstream: origins.new,
    request: {
      method: 'GET',
      path: `/bench/${i}`,
      headers: ['accept', 'application/json', 'x-user-id', `u${i}`],
      body: undefined,
      bodyTruncated: false,
    },
    response: {
      status: 200,
      headers: ['content-type', 'application/json; charset=utf-8'],
      body,
      truncated: false,
    },
    startedAt: Date.now(),
    durationMs: 1,
    fellBack: false,
    dryRun: false,
  };
}

const inProcess: Origins = { legacy: 'http://legacy', new: 'http://new' };

/**
 * Pairs/s through a CompareEngine running its comparisons on `executor`. The body legacy
 * "served" for request i is `servedBody(i)`: it has to be what legacy answers for that path,
 * or every pair is a difference (and, once legacy is asked twice, noise with a record each).
 */
async function enginePairsPerSecond(
  executor: ComparisonExecutor,
  total: number,
  dir: string,
  origins: Origins,
  servedBody: (i: number) => Buffer,
): Promise<{ rate: number; outcomes: string }> {
  const store = await new ComparisonStore({ dir, maxRecords: 10_000 }).open();
  const engine = new CompareEngine({
    routes: () => ({ rules, legacy: origins.legacy, new: origins.new, methods: new Set(['GET']) }),
    executor,
    store,
    redaction: defaultRedaction,
    concurrency: 64,
    queueLimit: 1_000_000,
  });
  const started = performance.now();
  for (let i = 0; i < total; i += 1000) {
    for (let j = i; j < Math.min(total, i + 1000); j++)
      engine.onExchange(exchange(j, servedBody(j), origins));
    await engine.drain();
  }
  const elapsed = (performance.now() - started) / 1000;
  const counters = store.counters().bench!;
  await engine.close();
  await store.close();
  const compared = counters.match + counters.mismatch + counters.noise + counters.error;
  if (compared !== total)
    throw new Error(`engine compared ${compared} of ${total}: ${JSON.stringify(counters)}`);
  const outcomes = (['match', 'mismatch', 'noise', 'error'] as const)
    .filter((o) => counters[o] > 0)
    .map((o) => `${o} ${counters[o]}`)
    .join(', ');
  return { rate: total / elapsed, outcomes };
}

/** The in-process comparator; the other side answers from memory and 2 % of new answers differ. */
function inProcessComparator(): Comparator {
  return new Comparator({ send: inProcessSend(), noise: new NoiseModel({ sampleRate: 0.1, warmup: 20 }) });
}

function inProcessSend(): Send {
  const legacy = json(benchBody(1));
  const same = json({ ...benchBody(1), tags: ['steel', 'outdoor', 'tools', 'garden'], price: '19.9' });
  const differs = json({ ...benchBody(1), price: '21.00' });
  let n = 0;
  // a fresh body per answer, as from the network (the diff caches parses per body)
  const fresh = (a: Answer): Answer => ({ ...a, body: Buffer.from(a.body) });
  return async (origin) => fresh(origin === 'http://legacy' ? legacy : n++ % 50 === 0 ? differs : same);
}

function diffPairsPerSecond(total: number): number {
  const a = json(benchBody(1));
  const b = json({ ...benchBody(1), tags: ['steel', 'outdoor', 'tools', 'garden'] });
  const started = performance.now();
  // fresh bodies per pair, as from the network (a body already parsed is not parsed again)
  for (let i = 0; i < total; i++)
    diffAnswers(rules, { ...a, body: Buffer.from(a.body) }, { ...b, body: Buffer.from(b.body) });
  return total / ((performance.now() - started) / 1000);
}

interface Latency {
  rps: number;
  p50ms: number;
  p99ms: number;
  errors: number;
  /** Every answered request's latency, ms. */
  samples: number[];
  /** CPU of the proxy per request: its main thread (the one serving clients) and all threads. */
  mainUs: number;
  allUs: number;
}

const pacedLoad = path.join(repoRoot, 'scripts', 'bench', 'paced-load.ts');

async function load(url: string, durationS: number, pid: number): Promise<Latency> {
  const [main0, all0] = [statCpuSeconds(`/proc/${pid}/task/${pid}/stat`), processCpuSeconds(pid)];
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', pacedLoad, url, String(rate), String(durationS), String(connections), '--samples'],
    { cwd: repoRoot, maxBuffer: 64 << 20 },
  );
  const [main1, all1] = [statCpuSeconds(`/proc/${pid}/task/${pid}/stat`), processCpuSeconds(pid)];
  const r = JSON.parse(stdout) as {
    requests: number;
    rps: number;
    p50: number;
    p99: number;
    errors: number;
    samples: number[];
  };
  const perRequest = (seconds: number) => Math.round((seconds * 1e6) / Math.max(1, r.requests));
  return {
    rps: r.rps,
    p50ms: r.p50,
    p99ms: r.p99,
    errors: r.errors,
    samples: r.samples,
    mainUs: perRequest(main1 - main0),
    allUs: perRequest(all1 - all0),
  };
}

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-compare-'));
  const children: ComponentProcess[] = [];
  let testProxy: TestProxy | undefined;
  try {
    const [legacyPort, newPort] = await Promise.all([freePort(), freePort()]);
    for (const [port, role] of [
      [legacyPort, 'legacy'],
      [newPort, 'new'],
    ] as const) {
      children.push(
        await startComponent({
          name: role,
          script: 'strangler-proxy/compare/testing/compare-upstream.ts',
          args: [String(port), role],
          readyLine: 'ready on',
        }),
      );
    }
    const legacyUrl = `http://127.0.0.1:${legacyPort}`;
    const newUrl = `http://127.0.0.1:${newPort}`;

    // 1. engine throughput; in process legacy answers benchBody(1) whatever the path
    const legacyBody = json(benchBody(1)).body;
    const inProcessBody = () => Buffer.from(legacyBody); // a fresh body each, as from the network
    await enginePairsPerSecond(
      inProcessComparator(),
      5_000,
      path.join(dir, 'warm'),
      inProcess,
      inProcessBody,
    ); // JIT warm-up
    const diffRate = diffPairsPerSecond(20_000);
    const { rate: engineRate, outcomes: engineOutcomes } = await enginePairsPerSecond(
      inProcessComparator(),
      pairsTotal,
      path.join(dir, 'engine'),
      inProcess,
      inProcessBody,
    );
    // as in the proxy: the comparisons in the worker thread, the other side over HTTP; the
    // fixture answers benchBody(id) for /bench/:id, so that is what legacy "served" (made
    // before the clock starts)
    const httpPairs = Math.min(pairsTotal, 20_000);
    const httpBodies = Array.from({ length: httpPairs }, (_, i) => json(benchBody(i)).body);
    const worker = new WorkerExecutor(() => ({ noiseSampleRate: 0.1, noiseWarmup: 20, noiseState: {} }));
    const { rate: httpRate, outcomes: httpOutcomes } = await enginePairsPerSecond(
      worker,
      httpPairs,
      path.join(dir, 'http'),
      { legacy: legacyUrl, new: newUrl },
      (i) => httpBodies[i]!,
    );
    console.error(
      `pairs/s: engine ${engineRate.toFixed(0)}, engine over HTTP ${httpRate.toFixed(0)}, bare diff ${diffRate.toFixed(0)}`,
    );

    // 2. client latency through the proxy, shadow on vs off
    const shadow = { mode: 'shadow', percent: 100 } as const;
    testProxy = await startProxy({
      routes: {
        legacy: legacyUrl,
        routes: [
          { id: 'on', methods: ['GET'], paths: ['/bench/:id'], new: newUrl },
          {
            id: 'off',
            methods: ['GET'],
            paths: ['/bench-off/:id'],
            new: newUrl,
            compare: { enabled: false },
          },
        ],
      },
      flags: { 'strangler.on': shadow, 'strangler.off': shadow },
      env: { NODE_OPTIONS: '--max-semi-space-size=64' }, // as npm run proxy
    });
    const pid = testProxy.proc.child.pid!;
    const proxy = testProxy.url;
    await waitForHttp(`${proxy}/bench/1`);
    const targets = { off: `${proxy}/bench-off/1`, on: `${proxy}/bench/1` };
    for (const url of Object.values(targets)) await load(url, 3, pid); // warm-up
    const results: Record<keyof typeof targets, Latency[]> = { off: [], on: [] };
    const loadBefore = os.loadavg()[0]!.toFixed(2);
    for (let round = 0; round < rounds; round++) {
      // off-on, then on-off: a drift of the shared machine within a pair of rounds cancels
      for (const name of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
        const r = await load(targets[name], seconds, pid);
        results[name].push(r);
        console.error(
          `round ${round + 1} shadow ${name.padEnd(3)} ${r.rps.toFixed(0)} req/s  p50 ${r.p50ms} ms  p99 ${r.p99ms} ms  errors ${r.errors}  proxy CPU/request main thread ${r.mainUs} µs, all threads ${r.allUs} µs`,
        );
      }
    }
    const report = (await (await testProxy.admin('/compare/report')).json()) as {
      routes: { routeId: string; counters: Record<string, number> }[];
    };
    const onCounters = report.routes.find((r) => r.routeId === 'on')?.counters ?? {};
    // each side's percentiles over all its requests; the median round by p99 is shown beside
    const pooled = (list: Latency[]) => {
      const all = list.flatMap((r) => r.samples).sort((a, b) => a - b);
      return {
        requests: all.length,
        rps: list.reduce((sum, r) => sum + r.rps, 0) / list.length,
        errors: list.reduce((sum, r) => sum + r.errors, 0),
        p50ms: percentile(all, 50),
        p99ms: percentile(all, 99),
        p999ms: percentile(all, 99.9),
      };
    };
    const [off, on] = [pooled(results.off), pooled(results.on)];
    const [offRound, onRound] = [medianBy(results.off, (r) => r.p99ms), medianBy(results.on, (r) => r.p99ms)];
    const roundRatios = results.on.map((r, i) => r.p99ms / results.off[i]!.p99ms);
    // CPU per request: the median over all rounds of a side (one round's figure moves more)
    const cpu = (list: Latency[]) => ({
      mainUs: medianBy(list, (r) => r.mainUs).mainUs,
      allUs: medianBy(list, (r) => r.allUs).allUs,
    });
    const [offCpu, onCpu] = [cpu(results.off), cpu(results.on)];
    const p99Ratio = on.p99ms / off.p99ms;
    const p50Ratio = on.p50ms / off.p50ms;
    const medianRoundRatio = onRound.p99ms / offRound.p99ms;
    const loadAfter = os.loadavg()[0]!.toFixed(2);
    const pairsMet = engineRate >= 5000;
    const p99Met = p99Ratio <= 1.2;
    const markdown = [
      `**Compared pairs/s on 2 KiB JSON bodies** (rules: a set-valued array, decimal strings as numbers, one ignored field; noise sampling at the proxy defaults, 10 % after 20 warm-up; 2 % of pairs differ and are recorded to the store):`,
      '',
      '| what | pairs/s |',
      '| --- | ---: |',
      `| compare engine, in process (other side answers in-process; ${pairsTotal} pairs: ${engineOutcomes}) | ${engineRate.toFixed(0)} |`,
      `| compare engine as in the proxy: comparisons in the worker thread, both sides real upstream processes over HTTP (${httpPairs} pairs: ${httpOutcomes}) | ${httpRate.toFixed(0)} |`,
      `| structural diff alone (parse both bodies + diff) | ${diffRate.toFixed(0)} |`,
      '',
      `**Client latency through the proxy** at a fixed ${rate} req/s (scripts/bench/paced-load.ts in its own process: one request every ${(1000 / rate).toFixed(1)} ms, open loop over up to ${connections} keep-alive connections, latency counted from when each request was due; ${seconds} s rounds of ${rate * seconds} requests, ${rounds} rounds a side alternating off-on / on-off, p50/p99 over each side's ${off.requests} requests pooled), 2 KiB JSON from fixture upstream processes, both routes in shadow mode; "on" compares every request in the background (new side called, legacy again for noise samples), "off" has \`compare.enabled: false\`. Comparisons done on route "on" during the run: ${JSON.stringify(onCounters)}.`,
      `1-min load average before/after: ${loadBefore} / ${loadAfter} (the machine is shared with other helpers).`,
      '',
      '| shadow | req/s | p50 ms | p99 ms | p99.9 ms | median round p99 ms | errors | proxy CPU µs/request, main thread (median of the rounds) | all threads (median of the rounds) |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      `| off | ${off.rps.toFixed(0)} | ${off.p50ms} | ${off.p99ms} | ${off.p999ms} | ${offRound.p99ms} | ${off.errors} | ${offCpu.mainUs} | ${offCpu.allUs} |`,
      `| on | ${on.rps.toFixed(0)} | ${on.p50ms} | ${on.p99ms} | ${on.p999ms} | ${onRound.p99ms} | ${on.errors} | ${onCpu.mainUs} | ${onCpu.allUs} |`,
      '',
      `p99 on/off: pooled ${p99Ratio.toFixed(2)}; median rounds ${medianRoundRatio.toFixed(2)}; round by round ${roundRatios.map((r) => r.toFixed(2)).join(', ')}.`,
      '',
      `Every round (p50 / p99 ms): off ${results.off.map((r) => `${r.p50ms}/${r.p99ms}`).join(', ')}; on ${results.on.map((r) => `${r.p50ms}/${r.p99ms}`).join(', ')}. Main-thread / all-threads CPU µs a request: off ${results.off.map((r) => `${r.mainUs}/${r.allUs}`).join(', ')}; on ${results.on.map((r) => `${r.mainUs}/${r.allUs}`).join(', ')}.`,
      '',
      `Bar: ≥ 5k compared pairs/s (${engineRate.toFixed(0)}: ${pairsMet ? 'met' : 'NOT met'}); client p99 shadow on ≤ 1.2 × off (${p99Ratio.toFixed(2)}: ${p99Met ? 'met' : 'NOT met'}).`,
    ].join('\n');
    console.error(markdown);
    await publishBenchmark({
      id: 'compare',
      title: 'Comparison engine: pairs/s and client latency with shadow on vs off',
      command: 'npm run bench:compare',
      markdown,
      summary: {
        bench: 'compare',
        pairs_per_s: Math.round(engineRate),
        pairs_per_s_http: Math.round(httpRate),
        diff_pairs_per_s: Math.round(diffRate),
        rate,
        p50_off_ms: off.p50ms,
        p50_on_ms: on.p50ms,
        p99_off_ms: off.p99ms,
        p99_on_ms: on.p99ms,
        p50_ratio_shadow_on_vs_off: Number(p50Ratio.toFixed(3)),
        p99_ratio_shadow_on_vs_off: Number(p99Ratio.toFixed(3)),
        p99_ratio_median_round: Number(medianRoundRatio.toFixed(3)),
        rounds,
        round_seconds: seconds,
        proxy_main_thread_us_per_request_off: offCpu.mainUs,
        proxy_main_thread_us_per_request_on: onCpu.mainUs,
        proxy_all_threads_us_per_request_off: offCpu.allUs,
        proxy_all_threads_us_per_request_on: onCpu.allUs,
        compared_on_route: onCounters,
        load_avg_before: Number(loadBefore),
        bar_met: pairsMet && p99Met,
      },
    });
  } finally {
    await testProxy?.stop();
    await Promise.allSettled(children.map((c) => c.stop()));
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
