import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ComponentProcess } from '../../lib/component-process.ts';
import { waitUntil } from '../../lib/net.ts';
import { compareEndpoints, renderMarkdown, reportFromResults } from '../../strangler-proxy/compare/index.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import { startFixture, strangler } from './support.ts';

/**
 * The library API a team calls from its own vitest tests, against two real upstream
 * processes (the comparison fixture as legacy and as new), and a real MariaDB behind the
 * fixture's /stock paths: legacy reads the row, new plays a CDC-fed store that can be held
 * behind a write (POST /__hold, /__release) and reports the binlog position it reflects.
 */
let db: TestDatabase;
let legacy: { url: string; proc: ComponentProcess };
let next: { url: string; proc: ComponentProcess };
let work: string;

beforeAll(async () => {
  db = await createTestDatabase('cmpep');
  const conn = await mysql.createConnection(db.url);
  await conn.query('CREATE TABLE stock (id INT PRIMARY KEY, qty INT NOT NULL)');
  await conn.query('INSERT INTO stock VALUES (1, 5), (2, 7), (3, 9), (4, 11), (5, 13)');
  await conn.end();
  work = await fs.mkdtemp(path.join(os.tmpdir(), 'compare-endpoints-'));
  const env = { COMPARE_FIXTURE_MYSQL_URL: db.url };
  [legacy, next] = await Promise.all([startFixture('legacy', env), startFixture('new', env)]);
});
afterAll(async () => {
  await Promise.allSettled([legacy?.proc.stop(), next?.proc.stop()]);
  await db?.drop();
  if (work) await fs.rm(work, { recursive: true, force: true });
});

const post = (url: string) => fetch(url, { method: 'POST' }).then((r) => r.text());
const hold = () => post(`${next.url}/__hold`);
const release = () => post(`${next.url}/__release`);
const legacyStockGets = async () =>
  ((await (await fetch(`${legacy.url}/__count`)).json()) as { stockGets: number }).stockGets;
/**
 * Releases the held candidate once legacy has been asked `times` more /stock GETs (the first
 * answers and the noise call are in, so the candidate answered while held): a fixed delay
 * raced the caller's start-up on a loaded machine. Resolves with the release time.
 */
async function releaseAfterLegacyAsked(times: number): Promise<number> {
  const before = await legacyStockGets();
  await waitUntil(
    `legacy to be asked ${times} more times`,
    async () => (await legacyStockGets()) >= before + times,
    {
      timeoutMs: 30_000,
    },
  );
  const at = Date.now();
  await release();
  return at;
}
/** A write through legacy, the system of record; the held new side does not see it. */
const write = (p: string, qty: number) =>
  fetch(`${legacy.url}${p}`, { method: 'PUT', body: JSON.stringify({ qty }) }).then((r) => r.text());

describe('compareEndpoints', () => {
  it('passes when the candidate answers like legacy, with noise and reordering excused by rules', async () => {
    const report = await compareEndpoints({
      legacyUrl: legacy.url,
      candidateUrl: next.url,
      requests: ['/same/1', '/same/2', '/noisy/1', '/list'],
      rules: (req) =>
        req.path === '/list'
          ? {
              arrays: [
                { path: '$.items', mode: 'sortBy', key: 'id' },
                { path: '$.tags', mode: 'set' },
              ],
            }
          : undefined,
    });
    expect(report.summary).toBe('4 compared: 3 matched, 0 mismatched, 1 noise only, 0 lag, 0 errors');
    expect(report.pass).toBe(true);
    expect(report.results[2]!.noise.map((d) => d.field).sort()).toEqual(['$.generatedAt', '$.requestId']);
  });

  it('fails with field-level diffs and a summary naming the failing requests', async () => {
    const report = await compareEndpoints({
      legacyUrl: legacy.url,
      candidateUrl: next.url,
      requests: ['/diff/1', '/diff/2', { path: '/list-raw', routeId: 'lists' }, '/same/3'],
      concurrency: 2,
    });
    expect(report.pass).toBe(false);
    expect(report).toMatchObject({ total: 4, matched: 1, mismatched: 3, errors: 0 });
    expect(report.topFields[0]).toMatchObject({ field: '$.price', count: 2 });
    expect(report.results[0]!.diffs).toEqual([
      { path: '$.price', field: '$.price', kind: 'changed', legacy: 10, new: 12 },
    ]);
    expect(report.summary).toContain('GET /diff/1: $.price 10 → 12');
    const md = renderMarkdown(reportFromResults(report.results, 'test'));
    expect(md).toContain('| (all) | 3 | 1 | 2 | 0 | 0 | 0 | 0 | 66.67 % |');
    expect(md).toContain('| lists | 1 | 0 | 1 |');
  });

  it('an unreachable side is an error, not a pass', async () => {
    const report = await compareEndpoints({
      legacyUrl: legacy.url,
      candidateUrl: 'http://127.0.0.1:9',
      requests: ['/same/1'],
      timeoutMs: 2000,
    });
    expect(report).toMatchObject({ pass: false, errors: 1 });
    expect(report.results[0]!.error).toBeTruthy();
  });

  it('names a request that has no origin', async () => {
    await expect(compareEndpoints({ requests: ['/same/1'] })).rejects.toMatchObject({
      code: 'PROXY_ERR_COMPARE_NO_ORIGIN',
    });
  });
});

describe('compareEndpoints with legacyMysqlUrl: a candidate behind the legacy database', () => {
  it('differs while held behind a write through legacy, equal once caught up → lag, and pass', async () => {
    await hold();
    let releasedAt = 0;
    try {
      await write('/stock/1', 50);
      const released = releaseAfterLegacyAsked(2).then((at) => {
        releasedAt = at;
      });
      let decidedAt = 0;
      const report = await compareEndpoints({
        legacyUrl: legacy.url,
        candidateUrl: next.url,
        requests: ['/stock/1', '/same/1'],
        legacyMysqlUrl: db.url,
        lagWaitMs: 10_000,
        onResult: (r) => {
          if (r.outcome === 'lag') decidedAt = Date.now();
        },
      });
      await released;
      expect(report.pass, report.summary).toBe(true);
      expect(report).toMatchObject({ total: 2, matched: 1, mismatched: 0, lag: 1, errors: 0 });
      expect(report.summary).toBe('2 compared: 1 matched, 0 mismatched, 0 noise only, 1 lag, 0 errors');
      // it waited for the catch-up rather than deciding on the held answer
      expect(releasedAt).toBeGreaterThan(0);
      expect(decidedAt).toBeGreaterThanOrEqual(releasedAt);
      const [lag] = report.results;
      // the result keeps the difference it saw, and says why it is not a mismatch
      expect(lag).toMatchObject({ outcome: 'lag', diffs: [{ field: '$.qty', legacy: 50, new: 5 }] });
      expect(lag!.note).toMatch(/^new side was at .+, behind legacy; re-checked after it caught up$/);
      expect(report.topFields).toEqual([]);
      const md = renderMarkdown(reportFromResults(report.results, 'test'));
      expect(md).toContain('| (all) | 2 | 1 | 0 | 0 | 1 | 0 | 0 | 0.00 % |');
    } finally {
      await release();
    }
  });

  it('still different once caught up → mismatch with the diff after the re-check', async () => {
    await hold();
    try {
      await write('/stock-wrong/2', 70);
      setTimeout(() => void release(), 500);
      const report = await compareEndpoints({
        legacyUrl: legacy.url,
        candidateUrl: next.url,
        requests: ['/stock-wrong/2'],
        legacyMysqlUrl: db.url,
        lagWaitMs: 10_000,
      });
      expect(report).toMatchObject({ pass: false, mismatched: 1, lag: 0 });
      // held it answered 7 (the old row); caught up it is off by one: that is the diff reported
      expect(report.results[0]!.diffs).toEqual([
        { path: '$.qty', field: '$.qty', kind: 'changed', legacy: 70, new: 71 },
      ]);
      expect(report.summary).toContain('GET /stock-wrong/2: $.qty 70 → 71');
    } finally {
      await release();
    }
  });

  it('never catching up within lagWaitMs, or reporting no position, is a mismatch', async () => {
    await hold();
    try {
      await write('/stock/3', 90);
      const started = Date.now();
      const report = await compareEndpoints({
        legacyUrl: legacy.url,
        candidateUrl: next.url,
        requests: ['/stock/3', '/diff/1'],
        legacyMysqlUrl: db.url,
        lagWaitMs: 800,
      });
      expect(Date.now() - started).toBeGreaterThanOrEqual(800);
      expect(report).toMatchObject({ pass: false, mismatched: 2, lag: 0 });
      expect(report.results[0]!.diffs).toEqual([expect.objectContaining({ legacy: 90, new: 9 })]);
    } finally {
      await release();
    }
  });

  it('without legacyMysqlUrl the lagging answer is a mismatch, decided at once (as before)', async () => {
    await hold();
    try {
      await write('/stock/4', 110);
      const started = Date.now();
      const report = await compareEndpoints({
        legacyUrl: legacy.url,
        candidateUrl: next.url,
        requests: ['/stock/4'],
      });
      expect(Date.now() - started).toBeLessThan(2000);
      expect(report).toMatchObject({ pass: false, mismatched: 1, lag: 0 });
      expect(report.results[0]!.diffs).toEqual([expect.objectContaining({ legacy: 110, new: 11 })]);
    } finally {
      await release();
    }
  });

  it('a legacy database that cannot be read is an error at once, not a silent mismatch', async () => {
    await expect(
      compareEndpoints({
        legacyUrl: legacy.url,
        candidateUrl: next.url,
        requests: ['/same/1'],
        legacyMysqlUrl: 'mysql://root@127.0.0.1:9/',
      }),
    ).rejects.toMatchObject({
      code: 'PROXY_ERR_COMPARE_LEGACY_POSITION',
      message: expect.stringMatching(/binlog position/),
    });
  });

  it('strangler compare replay classifies lag with MYSQL_URL (or --mysql-url) and exits 0', async () => {
    const capture = path.join(work, 'stock.jsonl');
    const at = new Date().toISOString();
    await fs.writeFile(
      capture,
      `${JSON.stringify({ routeId: 'stock', method: 'GET', path: '/stock/5', headers: {}, at })}\n`,
    );
    const out = path.join(work, 'report');
    const replay = (extra: string[], env: Record<string, string>) =>
      strangler(
        ['compare', 'replay', capture, '--legacy', legacy.url, '--new', next.url, '--out', out, ...extra],
        env,
      );
    await hold();
    try {
      await write('/stock/5', 130);
      // the catch-up comes while the CLI polls the held candidate
      const released = releaseAfterLegacyAsked(2);
      const r = await replay([], { MYSQL_URL: db.url });
      await released;
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(
        /stock +compared +1 +mismatch +0\.00 % +\(matched 0, mismatched 0, noise 0, lag 1,/,
      );
      const [md] = (await fs.readdir(out)).filter((f) => f.endsWith('.md'));
      expect(await fs.readFile(path.join(out, md!), 'utf8')).toContain(
        '| stock | 1 | 0 | 0 | 0 | 1 | 0 | 0 | 0.00 % |',
      );
    } finally {
      await release();
    }
    // the flag wins over the environment; an unreadable database stops the replay with the reason
    const bad = await replay(['--mysql-url', 'mysql://root@127.0.0.1:9/'], { MYSQL_URL: db.url });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/PROXY_ERR_COMPARE_LEGACY_POSITION: .*binlog position/);
  });
});
