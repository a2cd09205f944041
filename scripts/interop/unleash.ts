import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '../../lib/component-process.ts';
import { envValue } from '../../lib/config.ts';
import { dataRoot } from '../../lib/database/data-root.ts';
import { freePort, waitFor } from '../../lib/net.ts';
import { isAlive } from '../../lib/process.ts';

const run = promisify(execFile);

/** The pinned npm project (package.json + package-lock.json) the real Unleash is installed from. */
const here = path.join(repoRoot, 'scripts/interop/unleash');
const preload = path.join(here, 'exit-with-parent.mjs');

/** As pinned in scripts/interop/unleash/package.json: the newest unleash-server whose engines allow Node 20. */
export const unleashVersion = '7.5.1';

/** Every database this module creates starts with this, then the pid of the process that made it. */
const databasePrefix = 'strangler_interop_unleash_';

export interface UnleashInstall {
  /** `node_modules/unleash-server/dist/server.js` of the install. */
  entry: string;
  /** True when this call ran `npm ci`; false when the install of an earlier run was current. */
  installed: boolean;
  installMs: number;
}

/**
 * Installs unleash-server into `<data>/interop/unleash` with `npm ci` from the pinned lockfile in
 * scripts/interop/unleash (it is ~190 MB and ~400 packages: never a dependency of the toolkit,
 * whose `npm test` does not need it). A stamp of the lockfile and the Node major version makes a
 * second call free; a change reinstalls into a clean folder. Install scripts are skipped: the
 * server needs none (they are an optional native ssh helper and a telemetry ping). A failed
 * install throws with npm's own words.
 */
export async function ensureUnleashServer(options: { dir?: string } = {}): Promise<UnleashInstall> {
  const dir = options.dir ?? path.join(dataRoot(), 'interop', 'unleash');
  const entry = path.join(dir, 'node_modules', 'unleash-server', 'dist', 'server.js');
  const hash = createHash('sha256');
  for (const f of ['package.json', 'package-lock.json']) hash.update(await fs.readFile(path.join(here, f)));
  hash.update(process.versions.node.split('.')[0]!);
  const stamp = hash.digest('hex');
  const stampFile = path.join(dir, 'stamp');
  if ((await fs.readFile(stampFile, 'utf8').catch(() => '')) === stamp && existsSync(entry))
    return { entry, installed: false, installMs: 0 };

  const started = Date.now();
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(dir, { recursive: true });
  for (const f of ['package.json', 'package-lock.json'])
    await fs.copyFile(path.join(here, f), path.join(dir, f));
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  try {
    await run(npm, ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      maxBuffer: 16 * 1024 * 1024,
      timeout: 600_000,
    });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(
      `npm ci could not install unleash-server ${unleashVersion} (scripts/interop/unleash) into ${dir}: ${
        `${e.stderr ?? ''}${e.stdout ?? ''}`.trim().slice(-3000) || e.message
      }`,
    );
  }
  if (!existsSync(entry)) throw new Error(`npm ci ran but ${entry} is not there`);
  await fs.writeFile(stampFile, stamp);
  return { entry, installed: true, installMs: Date.now() - started };
}

export interface Postgres {
  /** A URL of the server's maintenance database (`postgres`): where databases are created and dropped. */
  url: string;
  /** The same server with another database. */
  urlOf(database: string): string;
  /** Runs one SQL statement through psql; throws with psql's words. */
  sql(statement: string): Promise<string>;
}

/**
 * The machine's PostgreSQL, for Unleash: `$INTEROP_PG_URL`, else
 * `postgres://postgres@127.0.0.1:5432/postgres`, reached with `psql`. Throws naming what is
 * missing: the interop suite fails with its reason, never skips.
 */
export async function findPostgres(env: NodeJS.ProcessEnv = process.env): Promise<Postgres> {
  const url = envValue('INTEROP_PG_URL', env) ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const urlOf = (database: string) => {
    const u = new URL(url);
    u.pathname = `/${database}`;
    return u.toString();
  };
  const sql = async (statement: string) => {
    try {
      const { stdout } = await run(
        'psql',
        ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', url, '-c', statement],
        { timeout: 30_000, env },
      );
      return stdout.trim();
    } catch (err) {
      const e = err as NodeJS.ErrnoException & { stderr?: string };
      if (e.code === 'ENOENT')
        throw new Error(
          'psql was not found on PATH: the real Unleash runs on PostgreSQL, which the interop suite reaches with psql (Debian: apt-get install postgresql)',
        );
      throw new Error(
        `PostgreSQL at ${redact(url)} (INTEROP_PG_URL) refused "${statement}": ${(e.stderr ?? e.message).trim()}`,
      );
    }
  };
  await sql('SELECT 1');
  return { url, urlOf, sql };
}

export interface UnleashServer {
  /** `http://127.0.0.1:<port>`. */
  readonly origin: string;
  /** The client API base the proxy's UNLEASH_URL takes: `<origin>/api`. */
  readonly apiUrl: string;
  /** A client token for the `default` project, `development` environment (UNLEASH_API_TOKEN). */
  readonly clientToken: string;
  /** A client token of the `production` environment: a valid token for the wrong environment. */
  readonly productionClientToken: string;
  /** An admin token, every project and environment (UNLEASH_ADMIN_TOKEN). */
  readonly adminToken: string;
  readonly database: string;
  readonly pid: number;
  readonly startupMs: number;
  /** What the server printed (the last 1 MiB). */
  output(): string;
  /** SIGTERM (Unleash's graceful shutdown), SIGKILL after the bound; then drops its database. */
  stop(): Promise<void>;
}

/**
 * Starts the real Unleash as its own Node process on a fresh PostgreSQL database, with a client
 * and an admin token made by Unleash's own init config (INIT_CLIENT_API_TOKENS,
 * INIT_ADMIN_API_TOKENS), and waits for `/health`. The server's standard input is a pipe only
 * this process holds (exit-with-parent.mjs): if this process dies, Unleash stops itself.
 * Databases of earlier runs whose process is gone are dropped first, so a killed run leaves
 * nothing behind for long.
 */
export async function startUnleash(
  options: { install?: UnleashInstall; logFile?: string; readyTimeoutMs?: number } = {},
): Promise<UnleashServer> {
  const install = options.install ?? (await ensureUnleashServer());
  const pg = await findPostgres();
  await dropStaleDatabases(pg);
  const database = `${databasePrefix}${process.pid}_${randomBytes(3).toString('hex')}`;
  await pg.sql(`CREATE DATABASE ${database}`);
  const port = await freePort();
  const clientToken = `default:development.${randomBytes(16).toString('hex')}`;
  const productionClientToken = `default:production.${randomBytes(16).toString('hex')}`;
  const adminToken = `*:*.${randomBytes(16).toString('hex')}`;
  const started = Date.now();
  const child = spawn(process.execPath, ['--import', preload, install.entry], {
    cwd: path.dirname(path.dirname(install.entry)),
    env: {
      ...process.env,
      TZ: 'UTC',
      NODE_ENV: 'production',
      DATABASE_URL: pg.urlOf(database),
      DATABASE_SSL: 'false',
      HTTP_HOST: '127.0.0.1',
      PORT: String(port),
      INIT_CLIENT_API_TOKENS: `${clientToken},${productionClientToken}`,
      INIT_ADMIN_API_TOKENS: adminToken,
      // No calls home from a test.
      SEND_TELEMETRY: 'false',
      CHECK_VERSION: 'false',
      LOG_LEVEL: 'warn',
      GRACEFUL_SHUTDOWN_TIMEOUT: '2000',
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin!.on('error', () => undefined);
  let buffer = '';
  const log = options.logFile ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
  log?.on('error', () => undefined);
  const onData = (chunk: Buffer) => {
    buffer = (buffer + chunk.toString('utf8')).slice(-1024 * 1024);
    log?.write(chunk);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  child.on('error', (err) => {
    buffer += `\n${err.message}`;
  });
  const exited = once(child, 'exit').then(([code, signal]) => {
    log?.end();
    return (signal as string | null) ?? `code ${code}`;
  });
  const origin = `http://127.0.0.1:${port}`;
  const drop = () => pg.sql(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`).then(() => undefined);
  const stop = async () => {
    await stopChild(child, exited);
    await drop();
  };
  const died = exited.then((how) => {
    throw new Error(`unleash-server exited (${how}) before it was ready:\n${buffer.slice(-4000)}`);
  });
  died.catch(() => undefined);
  try {
    await Promise.race([
      waitFor(
        `unleash-server on ${origin}/health`,
        async () => {
          const res = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(2000) });
          if (!res.ok) throw new Error(`health answered ${res.status}`);
        },
        { timeoutMs: options.readyTimeoutMs ?? 120_000, intervalMs: 250 },
      ),
      died,
    ]);
  } catch (err) {
    await stop().catch(() => undefined);
    throw err;
  }
  return {
    origin,
    apiUrl: `${origin}/api`,
    clientToken,
    productionClientToken,
    adminToken,
    database,
    pid: child.pid ?? -1,
    startupMs: Date.now() - started,
    output: () => buffer,
    stop,
  };
}

async function stopChild(child: ChildProcess, exited: Promise<string>, timeoutMs = 10_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Databases this module made in a process that is gone (a killed run): dropped. */
async function dropStaleDatabases(pg: Postgres): Promise<void> {
  const names = (await pg.sql(`SELECT datname FROM pg_database WHERE datname LIKE '${databasePrefix}%'`))
    .split('\n')
    .filter(Boolean);
  for (const name of names) {
    const pid = Number(/^strangler_interop_unleash_(\d+)_/.exec(name)?.[1]);
    if (pid > 0 && pid !== process.pid && !isAlive(pid))
      await pg.sql(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  }
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password) u.password = '***';
  return u.toString();
}
