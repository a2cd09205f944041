import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../lib/component-process.ts';
import { freePort } from '../../lib/net.ts';
import { portOwner } from '../../lib/port-owner.ts';
import { defaultPorts, type PortName } from '../../scripts/up/components.ts';
import { type RunningSystem, startSystem } from '../../scripts/up/system.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

export interface E2eSystem {
  system: RunningSystem;
  env: NodeJS.ProcessEnv;
  dataDir: string;
  reportsDir: string;
  stop(): Promise<void>;
}

export interface IsolatedEnv {
  env: NodeJS.ProcessEnv;
  dataDir: string;
  shop: TestDatabase;
  /** Drops the databases' shop and removes the data folder (stop the system first). */
  cleanup(): Promise<void>;
}

const componentPorts = Object.keys(defaultPorts) as PortName[];

/**
 * The environment `npm start`'s code runs in for a test: every component on a free port,
 * random databases on the test server (names prefixed `prefix`), its own data folder, and
 * nothing from the caller's own setup (Kafka, a route file, an admin token) leaking in.
 */
export async function isolatedSystemEnv(prefix: string, extra: NodeJS.ProcessEnv = {}): Promise<IsolatedEnv> {
  const shop = await createTestDatabase(`${prefix}_shop`);
  const suffix = shop.name.split('_').at(-1);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `strangler-${prefix}-`));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of componentPorts) env[name] = String(await freePort());
  Object.assign(env, {
    MYSQL_URL: shop.serverUrl,
    SHOP_DB: shop.name,
    CATALOG_DB: `${prefix}_catalog_${suffix}`,
    ORDERS_DB: `${prefix}_orders_${suffix}`,
    WRITERS_DB: `${prefix}_writers_${suffix}`,
    REVERSE_STATE_DB: `${prefix}_reverse_${suffix}`,
    STRANGLER_DATA_DIR: dataDir,
    // Systems of parallel test files share the test server: two binlog readers with one server
    // id make the server drop the first (every connector needs its own database.server.id).
    CONNECTOR_SERVER_ID: String(200_000 + Math.floor(Math.random() * 1_000_000_000)),
    BROKER_DATA_DIR: path.join(dataDir, 'broker'),
    LOG_LEVEL: 'warn',
    ...extra,
  });
  delete env.KAFKA_BROKERS;
  delete env.PROXY_ROUTES_FILE;
  delete env.PROXY_ADMIN_TOKEN;
  return {
    env,
    dataDir,
    shop,
    async cleanup() {
      await shop.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The whole toolkit as `npm start` runs it (same startSystem code), in an isolated
 * environment on a small seed.
 */
export async function startE2eSystem(seedScale = 0.05): Promise<E2eSystem> {
  const isolated = await isolatedSystemEnv('e2e');
  const system = await startSystem({ env: isolated.env, seedScale });
  return {
    system,
    env: system.env,
    dataDir: isolated.dataDir,
    reportsDir: path.join(isolated.dataDir, 'reports'),
    async stop() {
      await system.stop();
      await isolated.cleanup();
    },
  };
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the `strangler` bin as its own process; `onLine` sees stdout as it comes. */
export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine?: (line: string) => void,
): Promise<CliRun> {
  const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
  const child = spawn(process.execPath, [tsx, path.join(repoRoot, 'scripts/strangler.ts'), ...args], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let pending = '';
  child.stdout.on('data', (c: Buffer) => {
    stdout += c;
    pending += c;
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const l of lines) onLine?.(l);
  });
  child.stderr.on('data', (c: Buffer) => {
    stderr += c;
  });
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

/** SIGKILLs the process listening on a port (the real service, not the tsx wrapper above it). */
export async function killPortHolder(port: number): Promise<number> {
  const owner = await portOwner(port);
  const pid = Number(/pid (\d+)/.exec(owner ?? '')?.[1]);
  if (!pid) throw new Error(`nothing to kill on port ${port} (${owner ?? 'no owner found'})`);
  process.kill(pid, 'SIGKILL');
  return pid;
}
