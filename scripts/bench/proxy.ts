import { execFile, execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { freePort, waitForHttp } from '../../lib/net.ts';
import { medianBy } from '../../lib/stats.ts';
import { featureFor } from '../../strangler-proxy/flags/flag-mapping.ts';
import { treeCpuSeconds } from './proc-cpu.ts';
import { publishBenchmark } from './report.ts';
import { type WrkResult, wrk } from './wrk.ts';

/**
 * npm run bench:proxy — one run, one upstream (a fast node:http server in its own process),
 * three ways in: direct, Debian's nginx as a keep-alive reverse proxy (its own config in a
 * temp dir), and the strangler proxy with a canary route at 50 %. nginx and the proxy get the
 * same number of worker processes: BENCH_WORKERS, default one per core (nginx
 * `worker_processes N`, the proxy PROXY_WORKERS=N). wrk -t1 -c32 for each, with a Lua script
 * giving every request a random x-user-id so the canary really splits. Rounds alternate the
 * targets; the median round per target counts. CPU time (user + system, all processes of
 * the tier) per request is read from /proc around every wrk run: it moves less with other
 * load on the machine than req/s does.
 * Bar: proxy ≥ 0.6 × nginx req/s and p99 ≤ 2 × nginx p99.
 */
const run = promisify(execFile);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
// Five, not three: on a shared host one slow spell can cover two windows of one target, and
// with three rounds that alone decided a run (docs/history/proxy.md, runs of 2026-12-02 00:04).
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const connections = 32;
const workers = Number(process.env.BENCH_WORKERS ?? os.availableParallelism());
const proxyNodeOptions = '--max-semi-space-size=64';

function ensureTools(): void {
  const missing = ['wrk', 'nginx'].filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool} || test -x /usr/sbin/${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return;
  const pkgs = missing.map((t) => (t === 'nginx' ? 'nginx-light' : t));
  console.error(`installing ${pkgs.join(', ')} with apt-get`);
  execFileSync(
    'sh',
    [
      '-c',
      `apt-get install -y -q ${pkgs.join(' ')} || (apt-get update -q && apt-get install -y -q ${pkgs.join(' ')})`,
    ],
    {
      stdio: 'inherit',
    },
  );
}

interface Round extends WrkResult {
  /** CPU µs per request of the tier under test (all its processes) and of the upstream. */
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

async function startNginx(dir: string, listen: number, upstreamPort: number) {
  const conf = `worker_processes ${workers};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  upstream app { server 127.0.0.1:${upstreamPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${listen};
    location / {
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
    }
  }
}
`;
  await fs.writeFile(path.join(dir, 'nginx.conf'), conf);
  const nginxBin = (await run('sh', ['-c', 'command -v nginx || echo /usr/sbin/nginx'])).stdout.trim();
  const child = spawn(nginxBin, ['-c', path.join(dir, 'nginx.conf'), '-p', dir], { stdio: 'ignore' });
  await waitForHttp(`http://127.0.0.1:${listen}/products/1`, 10_000);
  return child;
}

async function main(): Promise<void> {
  ensureTools();
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-proxy-'));
  const script = path.join(dir, 'users.lua');
  await fs.writeFile(
    script,
    'math.randomseed(os.time())\nrequest = function()\n  return wrk.format("GET", "/products/" .. math.random(1, 1000), { ["x-user-id"] = "u" .. math.random(1, 1000000) })\nend\n',
  );
  const [upPort, nginxPort, proxyPort, adminPort] = await Promise.all([
    freePort(),
    freePort(),
    freePort(),
    freePort(),
  ]);
  const children: ComponentProcess[] = [];
  let nginx: ReturnType<typeof spawn> | undefined;
  try {
    children.push(
      await startComponent({
        name: 'upstream',
        script: 'strangler-proxy/testing/test-upstream.ts',
        args: [String(upPort), 'upstream', '--fast'],
        readyLine: 'ready on',
      }),
    );
    nginx = await startNginx(dir, nginxPort, upPort);
    const upstream = `http://127.0.0.1:${upPort}`;
    await fs.writeFile(
      path.join(dir, 'routes.json'),
      JSON.stringify({
        legacy: upstream,
        routes: [
          {
            id: 'products',
            methods: ['GET', 'HEAD'],
            paths: ['/products', '/products/:id'],
            new: upstream,
            // the hot path alone: comparisons (a legacy copy of every canary request) are
            // a per-route opt-in with their own cost, measured by the compare engine
            compare: { enabled: false },
          },
        ],
      }),
    );
    await fs.writeFile(
      path.join(dir, 'flags.json'),
      JSON.stringify({
        version: 2,
        features: [featureFor('strangler.products', { mode: 'canary', percent: 50 })],
      }),
    );
    children.push(
      await startComponent({
        name: 'proxy',
        script: 'strangler-proxy/main.ts',
        env: {
          PROXY_PORT: String(proxyPort),
          PROXY_ADMIN_PORT: String(adminPort),
          PROXY_ROUTES_FILE: path.join(dir, 'routes.json'),
          STRANGLER_DATA_DIR: dir,
          PROXY_ADMIN_TOKEN: 'bench-token-0123456789',
          LOG_LEVEL: 'warn',
          PROXY_WORKERS: String(workers),
          // the production setting `npm run proxy` uses: a larger young generation keeps
          // short-lived per-request objects out of old space (fewer, shorter GC pauses)
          NODE_OPTIONS: proxyNodeOptions,
        },
        readyUrl: `http://127.0.0.1:${adminPort}/health`,
      }),
    );
    await waitForHttp(`http://127.0.0.1:${proxyPort}/products/1`);
    const upstreamPid = children[0]!.child.pid!;
    const targets = {
      direct: { url: `http://127.0.0.1:${upPort}`, pid: upstreamPid },
      nginx: { url: `http://127.0.0.1:${nginxPort}`, pid: nginx.pid! },
      proxy: { url: `http://127.0.0.1:${proxyPort}`, pid: children[1]!.child.pid! },
    };
    const load = os.loadavg()[0]!.toFixed(2);
    const results: Record<keyof typeof targets, Round[]> = { direct: [], nginx: [], proxy: [] };
    for (const t of Object.values(targets)) await wrk(t.url, script, 2, connections); // warm-up (JIT, pools)
    for (let round = 0; round < rounds; round++) {
      for (const [name, t] of Object.entries(targets) as [
        keyof typeof targets,
        (typeof targets)['direct'],
      ][]) {
        const r = await measured(t.url, script, t.pid, upstreamPid);
        results[name].push(r);
        console.error(
          `round ${round + 1} ${name.padEnd(6)} ${r.rps.toFixed(0)} req/s  p50 ${r.p50ms} ms  p99 ${r.p99ms} ms  errors ${r.errors}  CPU ${r.cpuUs.toFixed(1)} µs/req (upstream ${r.upstreamCpuUs.toFixed(1)})`,
        );
      }
    }
    const stats = (await (
      await fetch(`http://127.0.0.1:${adminPort}/stats`, {
        headers: { authorization: 'Bearer bench-token-0123456789' },
      })
    ).json()) as { routes: { target: string; requests: number }[] };
    const servedNew = stats.routes.filter((r) => r.target === 'new').reduce((a, r) => a + r.requests, 0);
    const servedAll = stats.routes.reduce((a, r) => a + r.requests, 0);
    const pick = (name: keyof typeof targets) => medianBy(results[name], (r) => r.rps);
    const direct = pick('direct');
    const ng = pick('nginx');
    const px = pick('proxy');
    const rpsRatio = px.rps / ng.rps;
    const p99Ratio = px.p99ms / ng.p99ms;
    const newShare = servedAll ? servedNew / servedAll : 0;
    const loadAfter = os.loadavg()[0]!.toFixed(2);
    const row = (name: string, r: Round, cpu: boolean) =>
      `| ${name} | ${r.rps.toFixed(0)} | ${(r.rps / ng.rps).toFixed(2)} | ${r.p50ms.toFixed(2)} | ${r.p99ms.toFixed(2)} | ${(r.p99ms / ng.p99ms).toFixed(2)} | ${cpu ? r.cpuUs.toFixed(1) : '—'} | ${r.upstreamCpuUs.toFixed(1)} | ${r.errors} |`;
    const medianCpu = (name: keyof typeof targets) => medianBy(results[name], (r) => r.cpuUs).cpuUs;
    const markdown = [
      `wrk -t1 -c${connections} -d${seconds}s, ${rounds} alternating rounds (median by req/s shown), random x-user-id per request; upstream: node:http fixed 13-byte JSON (one process); nginx: ${workers} worker process${workers === 1 ? '' : 'es'} (\`worker_processes ${workers}\`), upstream keepalive 64; strangler proxy: ${workers} worker process${workers === 1 ? '' : 'es'} (PROXY_WORKERS=${workers}, NODE_OPTIONS=${proxyNodeOptions}), route \`products\` canary 50 % (served by new: ${(newShare * 100).toFixed(1)} %), same upstream on both sides, comparisons off for the route. wrk, the upstream and the tier under test share the ${os.availableParallelism()} cores.`,
      `1-min load average before/after: ${load} / ${loadAfter} (the machine is shared with other helpers; figures are noisy).`,
      "CPU µs/req: user + system time of all the tier's processes (nginx master + workers; proxy primary + workers) over the wrk run, per request completed.",
      '',
      '| path | req/s | vs nginx | p50 ms | p99 ms | p99 vs nginx | CPU µs/req | upstream CPU µs/req | errors |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      row('upstream direct', direct, false),
      row('nginx reverse proxy', ng, true),
      row('strangler proxy (canary 50 %)', px, true),
      '',
      `Bar: proxy ≥ 0.6 × nginx req/s (${rpsRatio.toFixed(2)}: ${rpsRatio >= 0.6 ? 'met' : 'NOT met'}), p99 ≤ 2 × nginx p99 (${p99Ratio.toFixed(2)}: ${p99Ratio <= 2 ? 'met' : 'NOT met'}).`,
      '',
      `Median CPU per request over the rounds: nginx ${medianCpu('nginx').toFixed(1)} µs, proxy ${medianCpu('proxy').toFixed(1)} µs (${(medianCpu('proxy') / medianCpu('nginx')).toFixed(1)} ×).`,
      '',
      'Every round (req/s, p99 ms, CPU µs/req), to show the spread the shared machine causes:',
      '',
      '| round | direct | nginx | proxy | proxy/nginx req/s | proxy/nginx p99 |',
      '| ---: | ---: | ---: | ---: | ---: | ---: |',
      ...results.proxy.map((p, i) => {
        const d = results.direct[i]!;
        const n = results.nginx[i]!;
        return `| ${i + 1} | ${d.rps.toFixed(0)}, ${d.p99ms} | ${n.rps.toFixed(0)}, ${n.p99ms}, ${n.cpuUs.toFixed(1)} | ${p.rps.toFixed(0)}, ${p.p99ms}, ${p.cpuUs.toFixed(1)} | ${(p.rps / n.rps).toFixed(2)} | ${(p.p99ms / n.p99ms).toFixed(2)} |`;
      }),
    ].join('\n');
    console.error(markdown);
    await publishBenchmark({
      id: 'proxy',
      title: 'Strangler proxy vs nginx',
      command: 'npm run bench:proxy',
      markdown,
      summary: {
        bench: 'proxy',
        workers,
        direct_rps: Math.round(direct.rps),
        nginx_rps: Math.round(ng.rps),
        proxy_rps: Math.round(px.rps),
        nginx_p99_ms: ng.p99ms,
        proxy_p99_ms: px.p99ms,
        rps_ratio_vs_nginx: Number(rpsRatio.toFixed(3)),
        p99_ratio_vs_nginx: Number(p99Ratio.toFixed(3)),
        nginx_cpu_us_per_req: Number(medianCpu('nginx').toFixed(1)),
        proxy_cpu_us_per_req: Number(medianCpu('proxy').toFixed(1)),
        canary_new_share: Number(newShare.toFixed(3)),
        load_avg_before: Number(load),
        bar_met: rpsRatio >= 0.6 && p99Ratio <= 2,
      },
    });
  } finally {
    nginx?.kill('SIGTERM');
    await Promise.allSettled(children.map((c) => c.stop()));
    await fs.rm(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
