import { execFile, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import mysql from 'mysql2/promise';
import { envValue } from '../config.ts';
import { freePort, isListening, waitFor } from '../net.ts';
import { isAlive } from '../process.ts';
import { dataRoot } from './data-root.ts';
import { DatabaseError, installHint } from './errors.ts';

const run = promisify(execFile);

/**
 * A private MariaDB (or MySQL) server the toolkit starts itself, so a rehearsal behaves the
 * same on any laptop: data under `.data/<name>`, bound to 127.0.0.1 on its own port, binlog
 * ROW/FULL with full row metadata. A second `ensure()` reuses the running instance.
 */
export interface PrivateServer {
  url: string;
  port: number;
  pid: number;
  dataDir: string;
  reused: boolean;
}

interface InstanceState {
  pid: number;
  port: number;
}

const searchPaths = [
  '/usr/sbin',
  '/usr/local/sbin',
  '/usr/bin',
  '/usr/local/bin',
  '/opt/homebrew/bin',
  '/usr/local/mysql/bin',
];

/** Where to look for server binaries: STRANGLER_DB_BIN_DIRS when set, else PATH plus the usual places. */
function binaryDirs(): string[] {
  const configured = envValue('STRANGLER_DB_BIN_DIRS');
  if (configured) return configured.split(path.delimiter);
  return [...(envValue('PATH') ?? '').split(path.delimiter), ...searchPaths];
}

async function findBinary(names: string[]): Promise<string | undefined> {
  const dirs = binaryDirs();
  for (const name of names) {
    for (const dir of dirs) {
      const candidate = path.join(dir, name);
      if (dir && existsSync(candidate)) return candidate;
    }
  }
  return undefined;
}

export async function findServerBinary(): Promise<{ server: string; flavor: 'mariadb' | 'mysql' }> {
  const server = await findBinary(['mariadbd', 'mysqld']);
  if (!server) {
    throw new DatabaseError('DB_ERR_NO_SERVER_BINARY', `no mariadbd or mysqld binary found: ${installHint}`);
  }
  const { stdout } = await run(server, ['--version']);
  return { server, flavor: /mariadb/i.test(stdout) ? 'mariadb' : 'mysql' };
}

async function readState(dir: string): Promise<InstanceState | undefined> {
  try {
    return JSON.parse(await fs.readFile(path.join(dir, 'instance.json'), 'utf8')) as InstanceState;
  } catch {
    return undefined;
  }
}

/** A cross-process lock (mkdir is atomic), so parallel test workers start one server, not two. */
async function withLock<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const lock = `${dir}.lock`;
  await fs.mkdir(path.dirname(lock), { recursive: true });
  await waitFor(
    `the lock ${lock}`,
    async () => {
      try {
        await fs.mkdir(lock);
      } catch (err) {
        const stat = await fs.stat(lock).catch(() => undefined);
        if (stat && Date.now() - stat.mtimeMs > 60_000) await fs.rm(lock, { recursive: true, force: true });
        throw err;
      }
    },
    { timeoutMs: 90_000, intervalMs: 100 },
  );
  try {
    return await fn();
  } finally {
    await fs.rm(lock, { recursive: true, force: true });
  }
}

const rootUrl = (port: number) => `mysql://root@127.0.0.1:${port}/`;

async function canConnect(port: number): Promise<boolean> {
  try {
    const conn = await mysql.createConnection({
      host: '127.0.0.1',
      port,
      user: 'root',
      connectTimeout: 2000,
    });
    await conn.end();
    return true;
  } catch {
    return false;
  }
}

async function initialize(server: string, flavor: 'mariadb' | 'mysql', dataDir: string): Promise<void> {
  const userArgs = process.getuid?.() === 0 ? ['--user=root'] : [];
  if (flavor === 'mysql') {
    await run(server, ['--no-defaults', '--initialize-insecure', `--datadir=${dataDir}`, ...userArgs]);
    return;
  }
  const installDb = await findBinary(['mariadb-install-db', 'mysql_install_db']);
  if (!installDb) {
    throw new DatabaseError(
      'DB_ERR_NO_SERVER_BINARY',
      `found ${server} but not mariadb-install-db: ${installHint}`,
    );
  }
  await run(installDb, [
    '--no-defaults',
    `--datadir=${dataDir}`,
    '--auth-root-authentication-method=normal',
    '--skip-test-db',
    ...userArgs,
  ]);
}

export interface EnsureOptions {
  /** Folder name under `.data/`; tests use their own. */
  name?: string;
  /** Preferred port; taken when free, else any free port. 0 = any. */
  port?: number;
  /**
   * More server options, after the toolkit's own (the interop suite's version string). Applied
   * when this call starts the server; a running instance is reused as it is.
   */
  serverArgs?: string[];
}

export async function ensurePrivateServer(options: EnsureOptions = {}): Promise<PrivateServer> {
  const dataDir = path.join(dataRoot(), options.name ?? 'mariadb');
  return withLock(dataDir, async () => {
    const state = await readState(dataDir);
    if (state && isAlive(state.pid) && (await canConnect(state.port))) {
      return { url: rootUrl(state.port), port: state.port, pid: state.pid, dataDir, reused: true };
    }
    const { server, flavor } = await findServerBinary();
    const mysqlDir = path.join(dataDir, 'db');
    if (!existsSync(path.join(mysqlDir, 'mysql'))) {
      await fs.rm(mysqlDir, { recursive: true, force: true });
      await fs.mkdir(mysqlDir, { recursive: true });
      await initialize(server, flavor, mysqlDir);
    }
    const preferred = options.port ?? 0;
    const port = preferred > 0 && !(await isListening(preferred)) ? preferred : await freePort();
    const log = openSync(path.join(dataDir, 'server.log'), 'a');
    const child = spawn(
      server,
      [
        '--no-defaults',
        `--datadir=${mysqlDir}`,
        `--port=${port}`,
        '--bind-address=127.0.0.1',
        `--socket=${path.join(dataDir, 'mysqld.sock')}`,
        `--pid-file=${path.join(dataDir, 'mysqld.pid')}`,
        '--log-bin=binlog',
        '--binlog-format=ROW',
        '--binlog-row-image=FULL',
        '--binlog-row-metadata=FULL',
        '--server-id=1',
        '--character-set-server=utf8mb4',
        '--collation-server=utf8mb4_unicode_ci',
        '--skip-name-resolve',
        '--max-connections=1000',
        '--innodb-buffer-pool-size=256M',
        // A rehearsal server: group the redo-log flush once a second instead of per commit.
        // The binlog is still written per commit, which is what CDC reads.
        '--innodb-flush-log-at-trx-commit=2',
        ...(process.getuid?.() === 0 ? ['--user=root'] : []),
        ...(options.serverArgs ?? []),
      ],
      { detached: true, stdio: ['ignore', log, log] },
    );
    child.unref();
    const pid = child.pid!;
    try {
      await waitFor(
        `the private database server on port ${port}`,
        async () => {
          if (!isAlive(pid)) throw new Error(`the server exited; see ${path.join(dataDir, 'server.log')}`);
          if (!(await canConnect(port))) throw new Error('not accepting connections yet');
        },
        { timeoutMs: 30_000, intervalMs: 100 },
      );
    } catch (err) {
      const tail = await fs.readFile(path.join(dataDir, 'server.log'), 'utf8').catch(() => '');
      throw new DatabaseError('DB_ERR_SERVER_START', `${(err as Error).message}\n${tail.slice(-2000)}`, {
        cause: err,
      });
    }
    await fs.writeFile(path.join(dataDir, 'instance.json'), JSON.stringify({ pid, port }));
    return { url: rootUrl(port), port, pid, dataDir, reused: false };
  });
}

/** Stops the private server cleanly (SIGTERM, then waits for the process to go). */
export async function stopPrivateServer(options: EnsureOptions = {}): Promise<boolean> {
  const dataDir = path.join(dataRoot(), options.name ?? 'mariadb');
  const state = await readState(dataDir);
  if (!state || !isAlive(state.pid)) return false;
  process.kill(state.pid, 'SIGTERM');
  await waitFor(
    'the private database server to stop',
    async () => {
      if (isAlive(state.pid)) throw new Error(`pid ${state.pid} still running`);
    },
    { timeoutMs: 60_000, intervalMs: 100 },
  );
  await fs.rm(path.join(dataDir, 'instance.json'), { force: true });
  return true;
}

export async function privateServerStatus(options: EnsureOptions = {}): Promise<InstanceState | undefined> {
  const state = await readState(path.join(dataRoot(), options.name ?? 'mariadb'));
  return state && isAlive(state.pid) ? state : undefined;
}
