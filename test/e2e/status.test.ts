import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lib/net.ts';
import type { SystemStatus } from '../../scripts/cli/status-probe.ts';
import { defaultPorts } from '../../scripts/up/components.ts';
import { type E2eSystem, killPortHolder, runCli, startE2eSystem } from './system-fixture.ts';

/**
 * `strangler status` as a user runs it: a real CLI process against the whole system started
 * by npm start's own code, on a small seed. Healthy: every component up, routes with their
 * modes, the traffic the proxy counted, exit code 0. Then the orders service dies: it shows
 * as DOWN, the problem is named, and the exit code is 1 (scripts can gate on it).
 */
describe('strangler status', () => {
  let e2e: E2eSystem;

  beforeAll(async () => {
    e2e = await startE2eSystem();
  }, 240_000);
  afterAll(async () => {
    await e2e?.stop();
  });

  it('shows every component up, each route with its mode and share, the proxy counts and the CDC lag', async () => {
    const shifted = await runCli(['shift', 'orders', '25'], e2e.env);
    expect(shifted.code, shifted.stderr).toBe(0);
    for (let i = 0; i < 6; i++)
      expect((await fetch(`${e2e.system.urls.proxy}/products/${i + 1}`)).status).toBe(200);

    const json = await runCli(['status', '--json'], e2e.env);
    expect(json.code, json.stderr).toBe(0);
    const s = JSON.parse(json.stdout) as SystemStatus;
    expect(s.problems).toEqual([]);
    expect(s.components.map((c) => [c.name, c.up])).toEqual([
      ['broker', true],
      ['monolith', true],
      ['connector', true],
      ['catalog', true],
      ['orders', true],
      ['writers', true],
      ['proxy', true],
      ['proxy admin', true],
    ]);
    const lag = (name: string) => s.components.find((c) => c.name === name)!.lagMs;
    for (const name of ['catalog', 'orders']) expect(lag(name)).toEqual(expect.any(Number));
    expect(s.routes.map((r) => [r.route, r.mode, r.percent])).toEqual([
      ['products', 'legacy', 0],
      ['orders', 'canary', 25],
    ]);
    expect(s.routes.find((r) => r.route === 'products')!.requests).toBe(6);

    const text = await runCli(['status'], e2e.env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(new RegExp(`^catalog +up +\\d+ ms +${e2e.system.urls.catalog} `, 'm'));
    expect(text.stdout).toMatch(/^products +legacy +0 % +6 /m);
    expect(text.stdout).toMatch(/^orders +canary\*? +25 % /m);
    expect(text.stdout).not.toMatch(/^! /m);
  });

  it('names a component that is down and exits 1', async () => {
    await killPortHolder(Number(e2e.env.ORDERS_PORT));
    const run = await runCli(['status'], e2e.env);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout).toMatch(
      new RegExp(`^orders +DOWN +- +${e2e.system.urls.orders}  not answering$`, 'm'),
    );
    expect(run.stdout).toContain(`! orders (${e2e.system.urls.orders}) is down`);
    // Only that one: the rest still answer, and the routes are still read from the proxy.
    expect(run.stdout.match(/ DOWN /g)).toHaveLength(1);
    expect(run.stdout).toMatch(/^products +legacy /m);
  });

  it('with nothing running, says so once and names npm start', async () => {
    const env: NodeJS.ProcessEnv = { ...e2e.env, WRITERS_URL: undefined };
    for (const name of Object.keys(defaultPorts)) env[name] = String(await freePort());
    env.KAFKA_BROKERS = `127.0.0.1:${env.BROKER_PORT}`;
    const run = await runCli(['status'], env);
    expect(run.code, run.stdout).toBe(1);
    expect(run.stdout.match(/ DOWN /g)).toHaveLength(8);
    expect(run.stdout.match(/^! .*$/gm)).toEqual([
      '! nothing is running at these addresses: start the toolkit with npm start (in another terminal)',
    ]);
  });
});
