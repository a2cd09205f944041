import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateLatest } from '../../legacy-monolith/migrations/index.ts';
import { seedShop } from '../../legacy-monolith/seed/seed-shop.ts';
import { type MonolithUnderTest, startMonolithProcess } from '../monolith/support.ts';
import { runCli } from './system-fixture.ts';

/** `strangler load` as a real CLI process against the real monolith on a small seed. */
describe('strangler load', () => {
  let shop: MonolithUnderTest;
  beforeAll(async () => {
    shop = await startMonolithProcess('load');
    await migrateLatest(shop.knex);
    await seedShop(shop.knex, { products: 300, users: 40, orders: 200, seed: 5 });
  });
  afterAll(async () => {
    await shop?.stop();
  });

  it('runs bounded realistic sessions and summarises them', async () => {
    const run = await runCli(
      [
        'load',
        '--target',
        shop.base,
        '-n',
        '400',
        '-d',
        '60s',
        '-r',
        '0',
        '-c',
        '6',
        '--mix',
        'browse=30,search=20,buy=40,history=10',
        '--json',
      ],
      process.env,
    );
    expect(run.code, run.stderr).toBe(0);
    const s = JSON.parse(run.stdout);
    expect(s.requests).toBe(400);
    expect(s.errors).toBe(0);
    expect(Object.keys(s.byStatus).every((code) => Number(code) < 500 && code !== '0')).toBe(true);
    const endpoints = s.byEndpoint.map((e: { endpoint: string }) => e.endpoint);
    for (const e of [
      'products.list',
      'products.get',
      'products.search',
      'users.create',
      'orders.create',
      'orders.pay',
      'orders.get',
      'users.orders',
    ]) {
      expect(endpoints).toContain(e);
    }
    expect(s.p99).toBeGreaterThanOrEqual(s.p50);
    // the buying sessions really wrote orders, with payments, through the API
    const [[row]] = await shop.knex.raw(
      "SELECT COUNT(*) AS n, SUM(status = 'paid') AS paid FROM orders o JOIN users u ON u.id = o.user_id WHERE u.email LIKE 'load-%'",
    );
    expect(Number(row.n)).toBeGreaterThan(5);
    expect(Number(row.paid)).toBeGreaterThan(0);
  });

  it('holds the requested rate', async () => {
    const started = Date.now();
    const run = await runCli(
      // enough connections that a slow target on a busy host does not cap the rate: the pacing is what is tested
      ['load', '--target', shop.base, '-d', '2s', '-r', '50', '-c', '16', '--json'],
      process.env,
    );
    expect(run.code, run.stderr).toBe(0);
    const s = JSON.parse(run.stdout);
    expect(s.requests).toBeGreaterThanOrEqual(80);
    expect(s.requests).toBeLessThanOrEqual(101);
    expect(Date.now() - started).toBeGreaterThan(2000);
  });

  it('refuses bad options and an unreachable target with a clear message', async () => {
    const bad = await runCli(['load', '--rate', 'fast'], process.env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--rate must be a whole number ≥ 0, e.g. 50');
    const down = await runCli(['load', '--target', 'http://127.0.0.1:9', '-d', '1s'], process.env);
    expect(down.code).toBe(1);
    expect(down.stderr).toMatch(
      /strangler: LOAD_ERR_TARGET_UNREACHABLE: cannot reach http:\/\/127\.0\.0\.1:9: .*is the shop \(npm start\) running\?/,
    );
  });
});
