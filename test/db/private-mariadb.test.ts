import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBinlogSettings } from '../../lib/database/binlog-check.ts';
import {
  ensurePrivateServer,
  privateServerStatus,
  stopPrivateServer,
} from '../../lib/database/private-server.ts';
import { createTestDatabase, testServerUrl } from '../support/database.ts';

const run = promisify(execFile);

describe('private MariaDB launcher', () => {
  it('runs the test server with a ROW/FULL binlog and full row metadata', async () => {
    await expect(checkBinlogSettings(testServerUrl())).resolves.toBeUndefined();
    const conn = await mysql.createConnection(testServerUrl());
    const [rows] = await conn.query<mysql.RowDataPacket[]>(
      'SELECT @@bind_address AS bind, @@server_id AS id',
    );
    await conn.end();
    expect(rows[0]).toMatchObject({ bind: '127.0.0.1', id: 1 });
  });

  it('gives each test its own database', async () => {
    const a = await createTestDatabase('iso');
    const b = await createTestDatabase('iso');
    try {
      expect(a.name).not.toBe(b.name);
      const conn = await mysql.createConnection(a.url);
      await conn.query('CREATE TABLE t (id INT PRIMARY KEY)');
      await conn.end();
      const other = await mysql.createConnection(b.url);
      await expect(other.query('SELECT * FROM t')).rejects.toMatchObject({ code: 'ER_NO_SUCH_TABLE' });
      await other.end();
    } finally {
      await a.drop();
      await b.drop();
    }
  });

  describe('a fresh instance in its own data folder', () => {
    const root = path.join(os.tmpdir(), `strangler-db-${process.pid}`);
    const previous = process.env.STRANGLER_DATA_DIR;
    process.env.STRANGLER_DATA_DIR = root;
    afterAll(async () => {
      await stopPrivateServer({ name: 'fresh' });
      process.env.STRANGLER_DATA_DIR = previous;
      await fs.rm(root, { recursive: true, force: true });
    });

    it('initialises, starts, is reused by a second call, and stops cleanly', async () => {
      const first = await ensurePrivateServer({ name: 'fresh' });
      expect(first.reused).toBe(false);
      expect(first.dataDir).toBe(path.join(root, 'fresh'));
      await checkBinlogSettings(first.url);

      const second = await ensurePrivateServer({ name: 'fresh' });
      expect(second).toMatchObject({ reused: true, pid: first.pid, port: first.port });

      expect(await stopPrivateServer({ name: 'fresh' })).toBe(true);
      expect(await privateServerStatus({ name: 'fresh' })).toBeUndefined();
      expect(() => process.kill(first.pid, 0)).toThrow();

      // Restart on the existing data: no re-initialisation, data kept.
      const third = await ensurePrivateServer({ name: 'fresh' });
      expect(third.reused).toBe(false);
      const conn = await mysql.createConnection(third.url);
      const [dbs] = await conn.query<mysql.RowDataPacket[]>("SHOW DATABASES LIKE 'mysql'");
      await conn.end();
      expect(dbs).toHaveLength(1);
    });

    it('says how to install a server when no binary is on the PATH', async () => {
      const script = path.resolve('scripts/db.ts');
      const tsx = path.resolve('node_modules/tsx/dist/cli.mjs');
      const err = await run(process.execPath, [tsx, script, 'start'], {
        env: {
          ...process.env,
          STRANGLER_DB_BIN_DIRS: '/nonexistent',
          STRANGLER_DATA_DIR: path.join(root, 'nobin'),
        },
      }).catch((e: { stderr: string; code: number }) => e);
      expect(err).toMatchObject({ code: 1 });
      expect((err as { stderr: string }).stderr).toMatch(/apt-get install mariadb-server/);
      expect((err as { stderr: string }).stderr).toMatch(/MYSQL_URL/);
    });
  });
});

describe('binlog settings check', () => {
  it('names each wrong variable and the fix', async () => {
    // Flip the globals on a private instance of our own, never on the shared test server.
    const root = path.join(os.tmpdir(), `strangler-binlog-${process.pid}`);
    const previous = process.env.STRANGLER_DATA_DIR;
    process.env.STRANGLER_DATA_DIR = root;
    try {
      const server = await ensurePrivateServer({ name: 'flip' });
      const conn = await mysql.createConnection(server.url);
      await conn.query("SET GLOBAL binlog_format = 'STATEMENT'");
      await conn.query("SET GLOBAL binlog_row_metadata = 'MINIMAL'");
      await conn.end();
      await expect(checkBinlogSettings(server.url)).rejects.toMatchObject({
        code: 'DB_ERR_BINLOG_SETTINGS',
        message: expect.stringMatching(
          /binlog_format is STATEMENT, must be ROW[\s\S]*binlog_row_metadata is MINIMAL, must be FULL/,
        ),
      });
    } finally {
      await stopPrivateServer({ name: 'flip' });
      process.env.STRANGLER_DATA_DIR = previous;
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
