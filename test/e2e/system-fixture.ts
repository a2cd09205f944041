import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../lib/component-process.ts';
import { freePort } from '../../lib/net.ts';
import { portOwner } from '../../lib/port-owner.ts';
import { type RunningSystem, startSystem } from '../../scripts/up/system.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

export interface E2eSystem {
  system: RunningSystem;
  env: NodeJS.ProcessEnv;
  dataDir: string;
  reportsDir: string;
  stop(): Promise<void>;
}

/**
 * The whole toolkit as `npm start` runs it (same startSystem code), on free ports, random
 * databases on the test server, a small seed and its own data folder.
 */
export async function startE2eSystem(seedScale = 0.05): Promise<E2eSystem> {
  const shop: TestDatabase = await createTestDatabase('e2e_shop');
  const suffix = shop.name.split('_').at(-1);
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'strangler-e2e-'));
  const ports = {
    MONOLITH_PORT: await freePort(),
    CATALOG_PORT: await freePort(),
    ORDERS_PORT: await freePort(),
    BROKER_PORT: await freePort(),
    CONNECTOR_PORT: await freePort(),
    PROXY_PORT: await freePort(),
    PROXY_ADMIN_PORT: await freePort(),
  };
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    MYSQL_URL: shop.serverUrl,
    SHOP_DB: shop.name,
    CATALOG_DB: `e2e_catalog_${suffix}`,
    ORDERS_DB: `e2e_orders_${suffix}`,
    STRANGLER_DATA_DIR: dataDir,
    BROKER_DATA_DIR: path.join(dataDir, 'broker'),
    BROKER_EXIT_WITH_PARENT: '1',
    LOG_LEVEL: 'warn',
  };
  delete env.KAFKA_BROKERS;
  delete env.PROXY_ROUTES_FILE;
  delete env.PROXY_ADMIN_TOKEN;
  const system = await startSystem({ env, seedScale });
  const reportsDir = path.join(dataDir, 'reports');
  return {
    system,
    env: system.env,
    dataDir,
    reportsDir,
    async stop() {
      await system.stop();
      await shop.drop();
      await fs.rm(dataDir, { recursive: true, force: true });
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
