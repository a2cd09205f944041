import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../lib/component-process.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { freePort } from '../../lib/net.ts';
import { defaultPorts, type PortName } from '../up/components.ts';
import { routesFileFor } from '../up/routes-file.ts';
import { type RunningSystem, startSystem } from '../up/system.ts';
import { type PhaseResult, pooled, productWritesRoute, runPhase } from './isolation-scenario.ts';
import { publishBenchmark, replaceSection } from './report.ts';

/**
 * `npm run bench:isolation`: the migration story's load isolation, in numbers. The whole
 * toolkit as `npm start` runs it (monolith, MariaDB, broker, connector, catalog and orders
 * services, proxy), on its own ports and databases. Reads that have nothing to do with products
 * (a user, an order, a user's orders) go through the proxy at a fixed rate, with product reads
 * beside them, and their latency is measured:
 *   before  every route on the monolith; quiet, then beside a flood of POST /products:
 *           BENCH_FLOOD_CLIENTS (64) writers, each sending its next product as soon as the last
 *           was answered (more than the monolith's 20 database connections), waiting as long as
 *           Retry-After says (with jitter) when told 503
 *   after   product reads moved to the catalog service (flag `strangler.products` at new) and a
 *           bulkhead on the product-writes route (BENCH_MAX_IN_FLIGHT, default 1, no queue);
 *           quiet, then the same flood
 * BENCH_ROUNDS rounds (default 3), the two setups in alternating order, each phase
 * BENCH_SECONDS (10) long; a phase's p50/p99 are over its requests of every round pooled.
 * Bars: the flood raises the unrelated reads' p99 before (≥ 3 × quiet: the story reproduced,
 * else the run proves nothing), and after it stays ≤ 2 × the quiet p99 after.
 */
const env = process.env;
const ROUNDS = Number(env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(env.BENCH_SECONDS ?? 10);
const READ_RATE = Number(env.BENCH_READ_RATE ?? 150);
const FLOOD_CLIENTS = Number(env.BENCH_FLOOD_CLIENTS ?? 64);
const MAX_IN_FLIGHT = Number(env.BENCH_MAX_IN_FLIGHT ?? 1);
const SEED_SCALE = Number(env.BENCH_SEED_SCALE ?? 0.1);
const STORY_BAR = 3;
const ISOLATION_BAR = 2;
const unrelated = ['users', 'orders'];

type Setup = 'before' | 'after';

async function systemEnv(
  serverUrl: string,
): Promise<{ env: NodeJS.ProcessEnv; dataDir: string; dbs: string[] }> {
  const suffix = randomBytes(3).toString('hex');
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'strangler-isolation-'));
  const e: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(defaultPorts) as PortName[]) e[name] = String(await freePort());
  const dbs = [`iso_shop_${suffix}`, `iso_catalog_${suffix}`, `iso_orders_${suffix}`];
  Object.assign(e, {
    MYSQL_URL: serverUrl,
    SHOP_DB: dbs[0],
    CATALOG_DB: dbs[1],
    ORDERS_DB: dbs[2],
    STRANGLER_DATA_DIR: dataDir,
    BROKER_DATA_DIR: path.join(dataDir, 'broker'),
    CONNECTOR_SERVER_ID: String(300_000 + Math.floor(Math.random() * 1_000_000_000)),
    PROXY_ADMIN_TOKEN: randomBytes(16).toString('hex'),
    LOG_LEVEL: 'warn',
  });
  delete e.KAFKA_BROKERS;
  delete e.PROXY_ROUTES_FILE;
  // the repository's table on these ports, plus the product-writes route (no bulkhead yet)
  const table = JSON.parse(await fs.readFile(await routesFileFor(e, dataDir), 'utf8'));
  table.routes.push(productWritesRoute(`http://127.0.0.1:${e.CATALOG_PORT}`, undefined));
  const routesFile = path.join(dataDir, 'isolation.routes.json');
  await fs.writeFile(routesFile, JSON.stringify(table, null, 2));
  e.PROXY_ROUTES_FILE = routesFile;
  return { env: e, dataDir, dbs };
}

async function admin(system: RunningSystem, pathname: string, init: RequestInit = {}): Promise<unknown> {
  const res = await fetch(system.urls.admin + pathname, {
    ...init,
    headers: { authorization: `Bearer ${system.env.PROXY_ADMIN_TOKEN}`, 'content-type': 'application/json' },
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`admin ${pathname}: ${res.status} ${text}`);
  return JSON.parse(text);
}

/** before: all on the monolith, no bulkhead; after: product reads on the catalog, bulkhead on writes. */
async function arrange(system: RunningSystem, setup: Setup): Promise<void> {
  const catalog = `http://127.0.0.1:${system.env.CATALOG_PORT}`;
  const bulkhead = setup === 'after' ? { maxInFlight: MAX_IN_FLIGHT } : undefined;
  await admin(system, '/routes/product-writes', {
    method: 'PUT',
    body: JSON.stringify(productWritesRoute(catalog, bulkhead)),
  });
  await admin(system, '/flags/products', {
    method: 'POST',
    body: JSON.stringify({ to: setup === 'after' ? 'new' : 'legacy' }),
  });
  const want = setup === 'after' ? 'new' : 'legacy';
  const deadline = Date.now() + 15_000;
  for (;;) {
    const res = await fetch(`${system.urls.proxy}/products/1`, { headers: { 'x-user-id': 'probe' } });
    await res.text();
    if (res.headers.get('x-strangler-target') === want) break;
    if (Date.now() > deadline) throw new Error(`products did not move to ${want} within 15 s`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function main(): Promise<void> {
  const server = await resolveServerUrl();
  const { env: sysEnv, dataDir, dbs } = await systemEnv(server.url);
  console.error(`starting the toolkit (seed scale ${SEED_SCALE})…`);
  const system = await startSystem({ env: sysEnv, seedScale: SEED_SCALE });
  const shop = createMysqlKnex(server.url, dbs[0]!, { min: 0, max: 2 });
  try {
    const catalog = `http://127.0.0.1:${sysEnv.CATALOG_PORT}`;
    // the catalog serves once its snapshot is in
    const deadline = Date.now() + 120_000;
    while ((await fetch(`${catalog}/products/1`).catch(() => undefined))?.status !== 200) {
      if (Date.now() > deadline)
        throw new Error('the catalog service did not serve /products/1 within 120 s');
      await new Promise((r) => setTimeout(r, 500));
    }
    const ids = async (table: string) =>
      (await shop(table).select('id').orderBy('id').limit(5)).map((r: { id: number }) => r.id);
    const [users, orders, products] = [await ids('users'), await ids('orders'), await ids('products')];
    const reads = {
      users: users.map((id) => `/users/${id}`),
      orders: [...orders.map((id) => `/orders/${id}`), ...users.map((id) => `/users/${id}/orders`)],
      products: products.map((id) => `/products/${id}`),
    };

    // warm-up, not measured: the first phase must not pay for cold code paths and new connections
    for (const setup of ['after', 'before'] as const) {
      await arrange(system, setup);
      await runPhase({ proxyUrl: system.urls.proxy, reads, readRate: READ_RATE, seconds: 3 });
    }

    const results: Record<string, PhaseResult[]> = {};
    const phase = async (setup: Setup, flood: boolean) => {
      const name = `${setup}-${flood ? 'flood' : 'quiet'}`;
      const r = await runPhase({
        proxyUrl: system.urls.proxy,
        reads,
        readRate: READ_RATE,
        seconds: SECONDS,
        ...(flood ? { flood: { clients: FLOOD_CLIENTS } } : {}),
      });
      results[name] ??= [];
      results[name].push(r);
      const u = pooled(r, unrelated);
      console.error(
        `${name}: unrelated reads p50 ${u.p50} ms p99 ${u.p99} ms${r.flood ? `; flood ${JSON.stringify(r.flood.byStatus)}` : ''}`,
      );
      await new Promise((res) => setTimeout(res, 2000)); // the flood's backlog drains
    };
    for (let round = 0; round < ROUNDS; round++) {
      const order: Setup[] = round % 2 === 0 ? ['before', 'after'] : ['after', 'before'];
      for (const setup of order) {
        await arrange(system, setup);
        await phase(setup, false);
        await phase(setup, true);
      }
    }

    const merged = (name: string): PhaseResult => {
      const runs = results[name]!;
      const reads: PhaseResult['reads'] = {};
      for (const g of Object.keys(runs[0]!.reads)) {
        const samples = runs.flatMap((r) => r.reads[g]!.samples);
        const errors = runs.reduce((n, r) => n + r.reads[g]!.errors, 0);
        reads[g] = { ...runs[0]!.reads[g]!, samples, errors, requests: samples.length + errors };
      }
      const byStatus: Record<string, number> = {};
      for (const r of runs)
        for (const [s, n] of Object.entries(r.flood?.byStatus ?? {})) byStatus[s] = (byStatus[s] ?? 0) + n;
      const createdPerS =
        Math.round((runs.reduce((n, r) => n + (r.flood?.createdPerS ?? 0), 0) / runs.length) * 10) / 10;
      return { reads, ...(runs[0]!.flood ? { flood: { ...runs[0]!.flood, byStatus, createdPerS } } : {}) };
    };
    const phases = ['before-quiet', 'before-flood', 'after-quiet', 'after-flood'] as const;
    const m = Object.fromEntries(phases.map((p) => [p, merged(p)])) as Record<
      (typeof phases)[number],
      PhaseResult
    >;
    const u = Object.fromEntries(phases.map((p) => [p, pooled(m[p], unrelated)])) as Record<
      (typeof phases)[number],
      ReturnType<typeof pooled>
    >;
    const g = (p: (typeof phases)[number], group: string) => pooled(m[p], [group]);
    const r2 = (v: number) => Math.round(v * 100) / 100;
    const storyRatio = r2(u['before-flood'].p99 / u['before-quiet'].p99);
    const isolatedRatio = r2(u['after-flood'].p99 / u['after-quiet'].p99);
    const errorsOf = (p: (typeof phases)[number]) =>
      unrelated.reduce((n, grp) => n + (m[p].reads[grp]?.errors ?? 0), 0);
    const summary = {
      flood_clients: FLOOD_CLIENTS,
      flood_before_created_per_s: m['before-flood'].flood?.createdPerS,
      flood_after_created_per_s: m['after-flood'].flood?.createdPerS,
      max_in_flight: MAX_IN_FLIGHT,
      rounds: ROUNDS,
      seconds: SECONDS,
      read_rate: READ_RATE,
      ...Object.fromEntries(
        phases.flatMap((p) => [
          [`${p}_p50_ms`, u[p].p50],
          [`${p}_p99_ms`, u[p].p99],
        ]),
      ),
      unrelated_read_errors: Object.fromEntries(phases.map((p) => [p, errorsOf(p)])),
      flood_before: m['before-flood'].flood?.byStatus,
      flood_after: m['after-flood'].flood?.byStatus,
      story_p99_ratio: storyRatio,
      isolated_p99_ratio: isolatedRatio,
      bar_story_met: storyRatio >= STORY_BAR,
      bar_isolation_met: isolatedRatio <= ISOLATION_BAR,
    };
    const row = (label: string, f: (p: (typeof phases)[number]) => string) =>
      `| ${label} | ${phases.map(f).join(' | ')} |`;
    const markdown = [
      `The whole toolkit as \`npm start\` runs it (seed scale ${SEED_SCALE}), the proxy with one worker. Reads at ${READ_RATE} req/s through the proxy, open loop (latency from when each request was due), taking in turn a user (\`GET /users/:id\`), an order (\`GET /orders/:id\`), a user's orders (\`GET /users/:id/orders\`) and a product (\`GET /products/:id\`). The flood: ${FLOOD_CLIENTS} writers \`POST /products\` through the proxy, each sending a new product as soon as its last was answered (more writers than the monolith's 20 database connections), each waiting out \`Retry-After\` (with jitter, 0.5–1.5 ×) when told 503. **Before**: every route on the monolith, no bulkhead. **After**: product reads served by the catalog service (flag \`strangler.products\` at new) and the product-writes route with \`bulkhead: { maxInFlight: ${MAX_IN_FLIGHT} }\` (no queue: 503 with Retry-After beyond it). ${ROUNDS} rounds, the setups in alternating order, ${SECONDS} s a phase; figures over every round's requests pooled.`,
      '',
      `| unrelated reads (users + orders) | before, quiet | before, flood | after, quiet | after, flood |`,
      '|---|---:|---:|---:|---:|',
      row('p50 ms', (p) => String(u[p].p50)),
      row('p99 ms', (p) => `**${u[p].p99}**`),
      row('users p50 / p99 ms', (p) => `${g(p, 'users').p50} / ${g(p, 'users').p99}`),
      row('orders p50 / p99 ms', (p) => `${g(p, 'orders').p50} / ${g(p, 'orders').p99}`),
      row(
        'products p50 / p99 ms (monolith before, catalog after)',
        (p) => `${g(p, 'products').p50} / ${g(p, 'products').p99}`,
      ),
      row('read errors (users + orders)', (p) => String(errorsOf(p))),
      row('flood answers by status', (p) => (m[p].flood ? JSON.stringify(m[p].flood!.byStatus) : '—')),
      row('products created/s', (p) => (m[p].flood ? String(m[p].flood!.createdPerS) : '—')),
      '',
      '| bar | value | met |',
      '|---|---:|---:|',
      `| the story reproduced: flood p99 / quiet p99 before ≥ ${STORY_BAR} | ${storyRatio} | ${summary.bar_story_met ? 'yes' : 'no'} |`,
      `| isolation: flood p99 / quiet p99 after ≤ ${ISOLATION_BAR} | ${isolatedRatio} | ${summary.bar_isolation_met ? 'yes' : 'no'} |`,
    ].join('\n');
    console.log(markdown);
    if (env.BENCH_NO_PUBLISH) {
      console.log(JSON.stringify(summary));
      return;
    }
    await publishBenchmark({
      id: 'isolation',
      title: 'Load isolation: a flood of product writes and the unrelated reads',
      command: 'npm run bench:isolation',
      markdown,
      summary,
    });
    // the guide's "Load isolation" section shows the same figures, side by side
    const guide = path.join(repoRoot, 'docs', 'guide.md');
    const figures = markdown.slice(markdown.indexOf('| unrelated reads'));
    const block = [
      '<!-- bench:isolation:start -->',
      `${figures.trim()}`,
      '',
      `Run ${new Date().toISOString().slice(0, 16)} UTC, ${ROUNDS} rounds of ${SECONDS} s a phase; the setup in full in benchmarks.md.`,
      '<!-- bench:isolation:end -->',
    ].join('\n');
    await fs.writeFile(guide, replaceSection(await fs.readFile(guide, 'utf8'), 'isolation', block));
  } finally {
    await shop.destroy();
    await system.stop();
    const dropper = createMysqlKnex(server.url, undefined, { min: 0, max: 1 });
    for (const db of dbs) await dropper.raw(`DROP DATABASE IF EXISTS \`${db}\``);
    await dropper.destroy();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
