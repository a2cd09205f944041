import { expect } from 'vitest';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { freePort, waitUntil } from '../../lib/net.ts';
import { compareEndpoints } from '../../strangler-proxy/compare/index.ts';

export interface ServiceUnderTest {
  name: 'catalog' | 'orders';
  base: string;
  port: number;
  database: string;
  proc: ComponentProcess;
  env: Record<string, string>;
}

/** Starts an extracted service as a real process (`extracted/<name>/main.ts`). */
export async function startService(
  name: 'catalog' | 'orders',
  env: Record<string, string>,
  options: { port?: number; args?: string[] } = {},
): Promise<ServiceUnderTest> {
  const port = options.port ?? (await freePort());
  const prefix = name === 'catalog' ? 'CATALOG' : 'ORDERS';
  const fullEnv = { LOG_LEVEL: 'warn', ...env, [`${prefix}_PORT`]: String(port) };
  const proc = await startComponent({
    name,
    script: `extracted/${name}/main.ts`,
    args: options.args,
    env: fullEnv,
    readyUrl: `http://127.0.0.1:${port}/health`,
    readyTimeoutMs: 45_000,
  });
  return { name, base: `http://127.0.0.1:${port}`, port, database: env[`${prefix}_DB`]!, proc, env: fullEnv };
}

export async function getJson(
  base: string,
  path: string,
): Promise<{ status: number; body: unknown; headers: Headers }> {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, body: await res.json(), headers: res.headers };
}

/** Polls until `check` holds. */
export const until = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) =>
  waitUntil(what, check, { timeoutMs, intervalMs: 200 });

/** Same status and body from the monolith and the service for every path. */
/**
 * The parity check runs through the toolkit's own comparison library (compareEndpoints, what a
 * team calls from its test suite): status and JSON body compared structurally (key order free),
 * no noise excused. Returns one line per differing answer.
 */
export async function sameAnswers(monolith: string, service: string, paths: string[]): Promise<string[]> {
  const report = await compareEndpoints({
    legacyUrl: monolith,
    candidateUrl: service,
    requests: paths,
    noiseCheck: false,
    concurrency: 4,
  });
  return report.results
    .filter((r) => r.outcome !== 'match')
    .map(
      (r) =>
        `${r.request.path}: ${r.outcome} (monolith ${r.legacyStatus ?? '-'}, service ${r.newStatus ?? '-'}) ${r.error ?? JSON.stringify(r.diffs.slice(0, 3)).slice(0, 400)}`,
    );
}

export async function expectSameAnswers(monolith: string, service: string, paths: string[]): Promise<void> {
  expect(await sameAnswers(monolith, service, paths)).toEqual([]);
}

/** Converged when every path answers the same (polled: the projection is asynchronous). */
export async function converge(
  monolith: string,
  service: string,
  paths: string[],
  timeoutMs = 60_000,
): Promise<void> {
  let last: string[] = [];
  try {
    await until(
      'service answers equal to the monolith',
      async () => {
        last = await sameAnswers(monolith, service, paths);
        return last.length === 0;
      },
      timeoutMs,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; still different:\n${last.slice(0, 5).join('\n')}`);
  }
}

/** A deterministic spread of list queries: every sort, filters, pages, and bad input. */
export function productListQueries(categories: string[], seed = 7): string[] {
  let x = seed;
  const rnd = (n: number) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return x % n;
  };
  const sorts = ['id', '-id', 'name', '-name', 'price', '-price', 'createdAt', '-createdAt'];
  const queries = [
    '/products',
    '/products?pageSize=100',
    '/products?page=2&pageSize=7',
    '/products?sort=bogus',
    '/products?pageSize=101',
    '/products?minPrice=abc',
    '/products?minPrice=50&maxPrice=10',
    '/products?q=%25',
    '/products?page=999',
  ];
  for (let i = 0; i < 24; i++) {
    const params = new URLSearchParams({
      sort: sorts[rnd(sorts.length)]!,
      page: String(1 + rnd(3)),
      pageSize: String(1 + rnd(15)),
    });
    if (rnd(3) === 0) params.set('category', categories[rnd(categories.length)]!);
    if (rnd(3) === 0) params.set('minPrice', `${rnd(100)}.${rnd(10)}0`);
    if (rnd(3) === 0) params.set('maxPrice', `${100 + rnd(400)}`);
    if (rnd(4) === 0) params.set('q', ['a', 'e', 'mug', 'Pro', 'x'][rnd(5)]!);
    queries.push(`/products?${params}`);
  }
  return queries;
}
