import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { freePort, waitForHttp } from '../../lib/net.ts';
import { medianBy } from '../../lib/stats.ts';
import { featureFor } from '../../strangler-proxy/flags/flag-mapping.ts';
import { treeCpuSeconds } from './proc-cpu.ts';
import { publishBenchmark } from './report.ts';
import { type WrkResult, wrk } from './wrk.ts';

/**
 * npm run bench:gateway — what the strangler middleware costs inside a team's Express app. One
 * run, one upstream (the fast node:http test upstream, its own process), three ways in:
 *   plain       a plain http-proxy-middleware route in the bench's Express app
 *               (scripts/bench/gateway-app.ts): the reference
 *   middleware  the strangler middleware in that same app and process, route `products` at
 *               canary 50 % (both sides the same upstream, comparisons off)
 *   proxy       the standalone strangler proxy, one process, same route and flags
 * wrk -t1 -c32, a random x-user-id per request; rounds alternate the three; CPU time (user +
 * system) of the serving process per request is read from /proc around every wrk run. The
 * plain route and the middleware share one process, so their CPU per request compares like for
 * like whatever else the host runs.
 * Bar: the middleware's CPU per request ≤ 1.15 × the plain route's (median of the per-round
 * ratios).
 */
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = 32;
const bar = 1.15;
// the production setting `npm run proxy` uses, given to both serving processes alike
const nodeOptions = '--max-semi-space-size=64';
const token = 'bench-token-0123456789';

interface Round extends WrkResult {
  cpuUs: number;
  upstreamCpuUs: number;
}

async function measured(url: string, script: string, pid: number, upstreamPid: number): Promise<Round> {
  const [tier0, up0] = [treeCpuSeconds(pid), treeCpuSeconds(upstreamPid)];
  const r = await wrk(url, script, seconds, connections);
  const [tier1, up1] = [treeCpuSeconds(pid), treeCpuSeconds(upstreamPid)];
  const perRequest = (s: number) => (s * 1e6) / r.requests;
  return { ...r, cpuUs: perRequest(tier1 - tier0), upstreamCpuUs: perRequest(up1 - up0) };
}

const luaScript = (prefix: string) =>
  `math.randomseed(os.time())\nrequest = function()\n  return wrk.format("GET", "${prefix}/products/" .. math.random(1, 1000), { ["x-user-id"] = "u" .. math.random(1, 1000000) })\nend\n`;

async function main(): Promise<void> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-gateway-'));
  const scripts = { plain: path.join(dir, 'plain.lua'), routed: path.join(dir, 'routed.lua') };
  await fs.writeFile(scripts.plain, luaScript('/plain'));
  await fs.writeFile(scripts.routed, luaScript(''));
  const [upPort, gatewayPort, gatewayAdmin, proxyPort, proxyAdmin] = await Promise.all(
    Array.from({ length: 5 }, () => freePort()),
  );
  const upstream = `http://127.0.0.1:${upPort}`;
  const routesFile = path.join(dir, 'routes.json');
  const flagsFile = path.join(dir, 'flags.json');
  await fs.writeFile(
    routesFile,
    JSON.stringify({
      legacy: upstream,
      routes: [
        {
          id: 'products',
          methods: ['GET', 'HEAD'],
          paths: ['/products', '/products/:id'],
          new: upstream,
          // the routing path alone: comparisons are a per-route opt-in with their own cost
          compare: { enabled: false },
        },
      ],
    }),
  );
  await fs.writeFile(
    flagsFile,
    JSON.stringify({
      version: 2,
      features: [featureFor('strangler.products', { mode: 'canary', percent: 50 })],
    }),
  );
  const settings = (port: number, adminPort: number, data: string) => ({
    PROXY_PORT: String(port),
    PROXY_ADMIN_PORT: String(adminPort),
    PROXY_ROUTES_FILE: routesFile,
    PROXY_FLAGS_FILE: flagsFile,
    STRANGLER_DATA_DIR: data,
    PROXY_ADMIN_TOKEN: token,
    PROXY_WORKERS: '1',
    LOG_LEVEL: 'warn',
    NODE_OPTIONS: nodeOptions,
  });
  const children: ComponentProcess[] = [];
  try {
    children.push(
      await startComponent({
        name: 'upstream',
        script: 'strangler-proxy/testing/test-upstream.ts',
        args: [String(upPort), 'upstream', '--fast'],
        readyLine: 'ready on',
      }),
    );
    children.push(
      await startComponent({
        name: 'gateway',
        script: 'scripts/bench/gateway-app.ts',
        args: [upstream],
        env: settings(gatewayPort, gatewayAdmin, path.join(dir, 'gateway')),
        readyLine: 'bench-gateway ready',
      }),
    );
    children.push(
      await startComponent({
        name: 'proxy',
        script: 'strangler-proxy/main.ts',
        env: settings(proxyPort, proxyAdmin, path.join(dir, 'proxy')),
        readyLine: 'strangler-proxy ready',
      }),
    );
    const gateway = `http://127.0.0.1:${gatewayPort}`;
    await waitForHttp(`${gateway}/plain/products/1`);
    await waitForHttp(`${gateway}/products/1`);
    await waitForHttp(`http://127.0.0.1:${proxyPort}/products/1`);
    const [upstreamPid, gatewayPid, proxyPid] = children.map((c) => c.child.pid!) as [number, number, number];
    const targets = {
      plain: { url: gateway, script: scripts.plain, pid: gatewayPid },
      middleware: { url: gateway, script: scripts.routed, pid: gatewayPid },
      proxy: { url: `http://127.0.0.1:${proxyPort}`, script: scripts.routed, pid: proxyPid },
    };
    type Target = keyof typeof targets;
    const load = os.loadavg()[0]!.toFixed(2);
    const results: Record<Target, Round[]> = { plain: [], middleware: [], proxy: [] };
    // warm-up (JIT, agents): 5 s each, as two were not enough for the plain route's first round
    for (const t of Object.values(targets)) await wrk(t.url, t.script, 5, connections);
    for (let round = 0; round < rounds; round++) {
      for (const [name, t] of Object.entries(targets) as [Target, (typeof targets)[Target]][]) {
        const r = await measured(t.url, t.script, t.pid, upstreamPid);
        results[name].push(r);
        console.error(
          `round ${round + 1} ${name.padEnd(10)} ${r.rps.toFixed(0)} req/s  p50 ${r.p50ms} ms  p99 ${r.p99ms} ms  errors ${r.errors}  CPU ${r.cpuUs.toFixed(1)} µs/req (upstream ${r.upstreamCpuUs.toFixed(1)})`,
        );
      }
    }
    const stats = (await (
      await fetch(`http://127.0.0.1:${gatewayAdmin}/stats`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { routes: { route: string; target: string; requests: number }[] };
    const products = stats.routes.filter((r) => r.route === 'products');
    const servedNew = products.filter((r) => r.target === 'new').reduce((a, r) => a + r.requests, 0);
    const servedAll = products.reduce((a, r) => a + r.requests, 0);
    const newShare = servedAll ? servedNew / servedAll : 0;
    const loadAfter = os.loadavg()[0]!.toFixed(2);

    const medianCpu = (name: Target) => medianBy(results[name], (r) => r.cpuUs).cpuUs;
    const ratios = results.middleware.map((m, i) => m.cpuUs / results.plain[i]!.cpuUs);
    const ratio = medianBy(ratios, (r) => r);
    const proxyRatios = results.proxy.map((p, i) => p.cpuUs / results.plain[i]!.cpuUs);
    const proxyRatio = medianBy(proxyRatios, (r) => r);
    const met = ratio <= bar;
    const pick = (name: Target) => medianBy(results[name], (r) => r.cpuUs);
    const row = (label: string, name: Target) => {
      const r = pick(name);
      return `| ${label} | ${r.cpuUs.toFixed(1)} | ${(r.cpuUs / medianCpu('plain')).toFixed(2)} | ${r.rps.toFixed(0)} | ${r.p50ms.toFixed(2)} | ${r.p99ms.toFixed(2)} | ${r.upstreamCpuUs.toFixed(1)} | ${r.errors} |`;
    };
    const markdown = [
      `wrk -t1 -c${connections} -d${seconds}s, ${rounds} alternating rounds, random x-user-id per request; upstream: node:http fixed 13-byte JSON (one process). One Express 5 app (scripts/bench/gateway-app.ts) holds both the plain http-proxy-middleware route (\`createProxyMiddleware\` with its defaults and a keep-alive agent of ${64} sockets) and the strangler middleware (route \`products\` canary 50 %, served by new: ${(newShare * 100).toFixed(1)} %; comparisons off); the standalone proxy runs one process (PROXY_WORKERS=1) with the same route and flags. Both serving processes run with NODE_OPTIONS=${nodeOptions}. wrk, the upstream and the tiers share the ${os.availableParallelism()} cores.`,
      `1-min load average before/after: ${load} / ${loadAfter} (the machine is shared; CPU per request moves less with that than req/s does).`,
      "CPU µs/req: user + system time of the serving process over the wrk run, per request completed (the row shown is each tier's median round by CPU).",
      '',
      '| path | CPU µs/req | vs plain route | req/s | p50 ms | p99 ms | upstream CPU µs/req | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      row('plain http-proxy-middleware route', 'plain'),
      row('strangler middleware (canary 50 %)', 'middleware'),
      row('standalone strangler proxy (canary 50 %)', 'proxy'),
      '',
      `Bar: middleware CPU per request ≤ ${bar} × the plain route's (median of the per-round ratios): ${ratio.toFixed(2)}, ${met ? 'met' : 'NOT met'}. Standalone proxy vs the plain route: ${proxyRatio.toFixed(2)} ×.`,
      '',
      'Every round (CPU µs/req, req/s):',
      '',
      '| round | plain | middleware | proxy | middleware / plain | proxy / plain |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.plain.map((p, i) => {
        const m = results.middleware[i]!;
        const x = results.proxy[i]!;
        return `| ${i + 1} | ${p.cpuUs.toFixed(1)}, ${p.rps.toFixed(0)} | ${m.cpuUs.toFixed(1)}, ${m.rps.toFixed(0)} | ${x.cpuUs.toFixed(1)}, ${x.rps.toFixed(0)} | ${ratios[i]!.toFixed(2)} | ${proxyRatios[i]!.toFixed(2)} |`;
      }),
    ].join('\n');
    console.error(markdown);
    await publishBenchmark({
      id: 'gateway',
      title: 'Strangler middleware in Express vs a plain http-proxy-middleware route',
      command: 'npm run bench:gateway',
      markdown,
      summary: {
        bench: 'gateway',
        seconds,
        rounds,
        plain_cpu_us_per_req: Number(medianCpu('plain').toFixed(1)),
        middleware_cpu_us_per_req: Number(medianCpu('middleware').toFixed(1)),
        proxy_cpu_us_per_req: Number(medianCpu('proxy').toFixed(1)),
        middleware_vs_plain_cpu: Number(ratio.toFixed(3)),
        proxy_vs_plain_cpu: Number(proxyRatio.toFixed(3)),
        plain_rps: Math.round(pick('plain').rps),
        middleware_rps: Math.round(pick('middleware').rps),
        proxy_rps: Math.round(pick('proxy').rps),
        canary_new_share: Number(newShare.toFixed(3)),
        errors: Object.values(results)
          .flat()
          .reduce((a, r) => a + r.errors, 0),
        load_avg_before: Number(load),
        bar_met: met,
      },
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
