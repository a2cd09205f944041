import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { Pool } from 'undici';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { createMysqlKnex, ensureDatabase } from '../../lib/knex-mysql.ts';
import { freePort } from '../../lib/net.ts';
import { percentile } from '../../lib/stats.ts';
import { startProxy, type TestProxy } from '../../strangler-proxy/testing/harness.ts';
import { ProxyAdmin } from '../rehearsal/live/proxy-admin.ts';
import { publishBenchmark } from './report.ts';

/**
 * npm run bench:writes — what dry-run shadow writes cost the client. The monolith, the catalog
 * service and the proxy, each its own process, on the private MariaDB. Clients POST /products
 * through the proxy, open loop at BENCH_RATE req/s (latency counted from when each request was
 * due), in two setups that alternate round by round: **off**, the products route in plain
 * legacy (its writes go to legacy alone), and **on**, the route in shadow (legacy executes each
 * write; the catalog gets a dry-run copy after the client's answer, which it runs in a
 * transaction and rolls back; the comparison engine diffs the two). Figures pool every round's
 * requests per setup. Bar: the client's write p99 with copies on ≤ 1.2 × with them off.
 */
const rate = Number(process.env.BENCH_RATE ?? 10);
const seconds = Number(process.env.BENCH_SECONDS ?? 10);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const bar = 1.2;

let sku = 0;
const newProduct = (tag: string) =>
  JSON.stringify({
    sku: `B-${tag}-${sku++}`,
    name: 'Bench product',
    price: '9.99',
    category: 'bench',
    stock: 1,
  });

/** One open-loop phase: request i is due at start + i / rate; its latency runs from then. */
async function phase(pool: Pool, tag: string): Promise<{ latencies: number[]; errors: number }> {
  const total = Math.round(rate * seconds);
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const sent: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    sent.push(
      pool
        .request({
          method: 'POST',
          path: '/products',
          headers: { 'content-type': 'application/json' },
          body: newProduct(tag),
        })
        .then(async (res) => {
          await res.body.text();
          if (res.statusCode !== 201) errors++;
          else latencies.push(performance.now() - due);
        })
        .catch(() => {
          errors++;
        }),
    );
  }
  await Promise.all(sent);
  return { latencies, errors };
}

async function writeComparisons(proxy: TestProxy): Promise<number> {
  const text = await (await proxy.admin('/metrics')).text();
  let n = 0;
  for (const m of text.matchAll(
    /^strangler_compare_writes_total\{route="products",outcome="(\w+)"\} (\d+)/gm,
  ))
    if (m[1] !== 'shed') n += Number(m[2]);
  return n;
}

/** Moves the route and waits until the proxy itself evaluates the new mode, then lets copies drain. */
async function setMode(admin: ProxyAdmin, mode: 'legacy' | 'shadow'): Promise<void> {
  await admin.shift('products', mode, 20_000);
  await new Promise((r) => setTimeout(r, 1500));
}

const ms = (v: number) => Math.round(v * 10) / 10;

async function main(): Promise<void> {
  const server = await resolveServerUrl();
  const suffix = randomBytes(3).toString('hex');
  const [shopDb, catalogDb] = [`bench_writes_${suffix}`, `bench_writes_${suffix}_cat`];
  await ensureDatabase(server.url, shopDb);
  const root = createMysqlKnex(server.url, undefined, { min: 0, max: 1 });
  const started: { stop(): Promise<unknown> }[] = [];
  let broker: TestBroker | undefined;
  try {
    const monolithPort = await freePort();
    const monolith: ComponentProcess = await startComponent({
      name: 'legacy-monolith',
      script: 'legacy-monolith/main.ts',
      env: { MYSQL_URL: server.url, SHOP_DB: shopDb, MONOLITH_PORT: String(monolithPort), LOG_LEVEL: 'warn' },
      readyUrl: `http://127.0.0.1:${monolithPort}/health`,
      readyTimeoutMs: 60_000,
    });
    started.push({ stop: () => monolith.stop('SIGTERM') });
    broker = await startTestBroker();
    const catalogPort = await freePort();
    const catalog = await startComponent({
      name: 'catalog',
      script: 'extracted/catalog/main.ts',
      env: {
        MYSQL_URL: server.url,
        CATALOG_DB: catalogDb,
        CATALOG_PORT: String(catalogPort),
        SHOP_DB: shopDb,
        KAFKA_BROKERS: broker.brokers.join(','),
        CDC_TOPIC_PREFIX: `bench${suffix}`,
        LOG_LEVEL: 'warn',
      },
      readyUrl: `http://127.0.0.1:${catalogPort}/health`,
      readyTimeoutMs: 60_000,
    });
    started.push({ stop: () => catalog.stop('SIGTERM') });
    const proxy = await startProxy({
      routes: {
        legacy: `http://127.0.0.1:${monolithPort}`,
        routes: [
          {
            id: 'products',
            methods: ['GET', 'HEAD'],
            paths: ['/products', '/products/:id'],
            new: `http://127.0.0.1:${catalogPort}`,
            flag: 'strangler.products',
            writes: { methods: ['POST', 'PATCH'], paths: ['/products', '/products/:id'] },
            owns: ['products', 'inventory'],
            compare: { writeRules: { generated: ['$.id', '$.createdAt', '$.updatedAt'] } },
          },
        ],
      },
      flags: { 'strangler.products': { mode: 'legacy', percent: 0 } },
      env: { LOG_LEVEL: 'warn' },
    });
    started.push({ stop: () => proxy.stop() });
    const admin = new ProxyAdmin(proxy.adminUrl, proxy.token);
    const pool = new Pool(proxy.url, { connections: 32 });
    started.push({ stop: () => pool.close() });

    // warm-up, not measured: both setups once
    for (const mode of ['shadow', 'legacy'] as const) {
      await setMode(admin, mode);
      await phase(pool, 'warm');
    }
    const pooled = { off: [] as number[], on: [] as number[] };
    const errors = { off: 0, on: 0 };
    const loadBefore = os.loadavg()[0]!;
    const comparedBefore = await writeComparisons(proxy);
    let comparedOn = 0;
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const);
      for (const setup of order) {
        await setMode(admin, setup === 'on' ? 'shadow' : 'legacy');
        const before = await writeComparisons(proxy);
        const r = await phase(pool, `${setup}${round}`);
        pooled[setup].push(...r.latencies);
        errors[setup] += r.errors;
        if (setup === 'on') {
          await new Promise((res) => setTimeout(res, 1500));
          comparedOn += (await writeComparisons(proxy)) - before;
        }
      }
    }
    const loadAfter = os.loadavg()[0]!;
    const stats = (xs: number[]) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return { requests: xs.length, p50: ms(percentile(sorted, 50)), p99: ms(percentile(sorted, 99)) };
    };
    const off = stats(pooled.off);
    const on = stats(pooled.on);
    const ratio = Math.round((on.p99 / off.p99) * 100) / 100;
    const markdown = [
      `The monolith, the catalog service and the proxy (one worker), each its own process, on the private MariaDB. \`POST /products\` through the proxy at ${rate} req/s, open loop (latency from when each request was due), ${rounds} rounds of ${seconds} s per setup, the setups in alternating order; figures over every round's requests pooled. **off**: the products route in plain legacy, its writes go to legacy alone. **on**: the route in shadow, legacy executes each write and the catalog gets a dry-run copy (run in a transaction, rolled back) that the comparison engine diffs with legacy's answer.`,
      '',
      '| setup | writes | errors | p50 ms | p99 ms |',
      '| --- | --- | --- | --- | --- |',
      `| off (legacy only) | ${off.requests} | ${errors.off} | ${off.p50} | ${off.p99} |`,
      `| on (dry-run copies) | ${on.requests} | ${errors.on} | ${on.p50} | ${on.p99} |`,
      '',
      `Client write p99 on / off: **${ratio} ×** (bar ≤ ${bar} ×: ${ratio <= bar ? 'met' : 'NOT met'}). Write comparisons made during the "on" phases: ${comparedOn} (of ${on.requests + errors.on} writes); ${await writeComparisons(proxy)} in all since start (${comparedBefore} before the measured rounds, warm-up and probes).`,
      '',
      `1-min load average before/after: ${loadBefore.toFixed(2)} / ${loadAfter.toFixed(2)} (a shared machine; figures are noisy).`,
    ].join('\n');
    await publishBenchmark({
      id: 'writes',
      title: 'Dry-run shadow writes: client write p99 with copies on vs off',
      command: 'npm run bench:writes',
      markdown,
      summary: {
        rate,
        seconds,
        rounds,
        off,
        on,
        errors,
        p99Ratio: ratio,
        bar,
        met: ratio <= bar,
        writeComparisonsOn: comparedOn,
        loadBefore: Number(loadBefore.toFixed(2)),
        loadAfter: Number(loadAfter.toFixed(2)),
      },
    });
  } finally {
    for (const s of started.reverse()) await s.stop().catch(() => undefined);
    await broker?.stop().catch(() => undefined);
    for (const db of [catalogDb, shopDb])
      await root.raw(`DROP DATABASE IF EXISTS \`${db}\``).catch(() => undefined);
    await root.destroy();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
