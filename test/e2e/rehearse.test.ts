import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProxyAdmin, readAdminToken } from '../../scripts/rehearsal/live/proxy-admin.ts';
import { type E2eSystem, killPortHolder, runCli, startE2eSystem } from './system-fixture.ts';

/**
 * `strangler rehearse products` as a user runs it: a real CLI process against the real system
 * started by npm start's own code (broker, monolith, connector, catalog, orders, proxy), on a
 * small seed. Then the same with the catalog SIGKILLed during the canary.
 */
describe('strangler rehearse (end to end)', () => {
  let e2e: E2eSystem;
  const fast = [
    '--step-duration',
    '4s',
    '--bake',
    '4s',
    '--shadow-requests',
    '80',
    '--parity-requests',
    '30',
    '--rate',
    '40',
    // Canary comparisons come only from the users bucketed into the share: a 4 s window at 5 %
    // may hold none, and a mismatch gate with too few comparisons holds the step. Larger shares
    // and a small minimum keep every step judged on evidence in a short window.
    '--steps',
    '25,50,75',
    '--min-comparisons',
    '5',
  ];
  const verdicts = (stdout: string) =>
    stdout
      .split('\n')
      .filter((l) => / — (PASS|FAIL|skip) \(/.test(l))
      .map((l) => l.replace(/ \(\d+\.\d s\)$/, ''));

  beforeAll(async () => {
    e2e = await startE2eSystem();
  }, 240_000);
  afterAll(async () => {
    await e2e?.stop();
  });

  it('walks products through every stage and writes a report', async () => {
    // A p99 of ~100 requests is their slowest one: on a loaded 2-core CI machine one GC pause or
    // scheduling stall decides it. The latency gate's arithmetic has unit tests; here the flow counts.
    const run = await runCli(
      ['rehearse', 'products', ...fast, '--max-p99-ratio', '20', '--reports', e2e.reportsDir],
      e2e.env,
    );
    expect(run.stderr).not.toMatch(/Error|REHEARSE_ERR/);
    expect(verdicts(run.stdout), run.stdout).toEqual([
      '[products] stage 0 · legacy only — PASS',
      '[products] stage 1 · proxy in front — PASS',
      '[products] stage 2 · backfill — PASS',
      '[products] stage 3 · shadow — PASS',
      '[products] stage 4 · canary 25 % — PASS',
      '[products] stage 4 · canary 50 % — PASS',
      '[products] stage 4 · canary 75 % — PASS',
      '[products] stage 5 · cutover 100 % — PASS',
      '[products] stage 6 · done — PASS',
    ]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('[products] migrated: the new service serves 100 % of the route');
    // the backfill compared real rows on both sides
    expect(run.stdout).toMatch(/products: 500 legacy \/ 500 service rows/);
    const [md, html] = run.stdout.match(/\S+rehearsal-products-\S+\.(md|html)/g)!;
    expect(await fs.readFile(md!, 'utf8')).toContain('## Route `products`: migrated');
    expect(await fs.readFile(html!, 'utf8')).toContain('<h1>Migration rehearsal report</h1>');
  }, 240_000);

  it('rolls products back to legacy when the catalog dies during the canary, and the report names the gate', async () => {
    let killed: Promise<number> | undefined;
    // Wide latency gate as above: the gates under test here are fallback and error rate.
    const run = await runCli(
      ['rehearse', 'products', ...fast, '--max-p99-ratio', '20', '--reports', e2e.reportsDir],
      e2e.env,
      (line) => {
        if (!killed && line.startsWith('[products] stage 4 · canary 50 % …'))
          killed = killPortHolder(Number(e2e.env.CATALOG_PORT));
      },
    );
    expect(killed, `the canary 50 % step never started:\n${run.stdout}`).toBeDefined();
    expect(await killed).toBeGreaterThan(0);
    expect(run.code, run.stdout + run.stderr).toBe(3);
    const v = verdicts(run.stdout);
    expect(v.slice(0, 6)).toEqual([
      '[products] stage 0 · legacy only — PASS',
      '[products] stage 1 · proxy in front — PASS',
      '[products] stage 2 · backfill — PASS',
      '[products] stage 3 · shadow — PASS',
      '[products] stage 4 · canary 25 % — PASS',
      '[products] stage 4 · canary 50 % — FAIL',
    ]);
    expect(v).toHaveLength(6);
    // The proxy falls back to legacy for the GETs, so users see answers: the fallback gate catches it.
    expect(run.stdout).toMatch(
      /\[products\] rolled-back at stage 4 · canary 50 %: gate "(fallback rate|error rate)" failed — .+; traffic rolled back to legacy/,
    );
    const md = await fs.readFile(run.stdout.match(/\S+rehearsal-products-\S+\.md/)![0], 'utf8');
    expect(md).toMatch(/Stopped at stage 4 · canary 50 %: gate \*\*(fallback rate|error rate)\*\* failed — /);
    expect(md).toContain('Traffic was rolled back to legacy automatically.');
    expect(md).toContain('### stage 5 · cutover — skipped');
    // and the proxy really serves products from legacy again
    const admin = new ProxyAdmin(
      e2e.system.urls.admin,
      await readAdminToken(path.join(e2e.dataDir, 'proxy-admin.token')),
    );
    const flag = (await admin.flags()).find((f) => f.route === 'products');
    expect(flag?.stored.mode).toBe('legacy');
    expect(flag?.seenByProxy?.mode ?? 'legacy').toBe('legacy');
  }, 240_000);
});
