import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { describe, expect, it } from 'vitest';
import { repoRoot, startComponent } from '../../lib/component-process.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { freePort } from '../../lib/net.ts';
import { testServerUrl } from '../support/database.ts';

const run = promisify(execFile);
const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');

async function dropDatabase(name: string) {
  const conn = await mysql.createConnection(testServerUrl());
  await conn.query(`DROP DATABASE IF EXISTS \`${name}\``);
  await conn.end();
}

describe('legacy-monolith/main.ts and scripts/seed.ts as processes', () => {
  it('creates and migrates a missing database, logs its ready line, and stops cleanly on SIGTERM', async () => {
    const name = `fresh_${randomBytes(4).toString('hex')}`;
    const port = await freePort();
    const proc = await startComponent({
      name: 'legacy-monolith',
      script: 'legacy-monolith/main.ts',
      env: { MYSQL_URL: testServerUrl(), SHOP_DB: name, MONOLITH_PORT: String(port), LOG_LEVEL: 'info' },
      readyLine: 'legacy monolith ready',
    });
    try {
      const res = await fetch(`http://127.0.0.1:${port}/products`);
      expect(await res.json()).toEqual({ items: [], page: 1, pageSize: 20, total: 0 });
      expect(proc.output()).toContain(`http://127.0.0.1:${port}`);
      expect(await proc.stop('SIGTERM')).toBe(0);
      expect(proc.output()).toContain('stopping');
    } finally {
      await proc.stop('SIGKILL');
      await dropDatabase(name);
    }
  });

  it('refuses an invalid configuration at start, naming every field', async () => {
    const failure = await run(process.execPath, [tsx, 'legacy-monolith/main.ts'], {
      cwd: repoRoot,
      env: { ...process.env, MYSQL_URL: testServerUrl(), MONOLITH_PORT: 'eighty', SHOP_DB: 'my-shop' },
    }).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(2);
    expect(failure?.stderr).toContain('MONOLITH_PORT');
    expect(failure?.stderr).toContain('SHOP_DB');
  });

  it('seed CLI: seeds a fresh database once, then --if-empty leaves it alone', async () => {
    const name = `seedcli_${randomBytes(4).toString('hex')}`;
    const env = { ...process.env, MYSQL_URL: testServerUrl(), SHOP_DB: name };
    try {
      const first = await run(process.execPath, [tsx, 'scripts/seed.ts', '--scale', '0.02', '--if-empty'], {
        cwd: repoRoot,
        env,
      });
      expect(first.stdout).toMatch(/seeded .* products 200, inventory 200, orders 400/);
      const second = await run(process.execPath, [tsx, 'scripts/seed.ts', '--scale', '0.02', '--if-empty'], {
        cwd: repoRoot,
        env,
      });
      expect(second.stdout).toContain('already has data');
      const again = await run(process.execPath, [tsx, 'scripts/seed.ts', '--scale', '0.02'], {
        cwd: repoRoot,
        env,
      }).then(
        () => undefined,
        (err: { code: number; stderr: string }) => err,
      );
      expect(again?.code).toBe(1);
      expect(again?.stderr).toContain('already has users or products');
      const knex = createMysqlKnex(testServerUrl(), name);
      expect(await knex('products').count({ n: '*' })).toEqual([{ n: 200 }]);
      await knex.destroy();
    } finally {
      await dropDatabase(name);
    }
  });
});
