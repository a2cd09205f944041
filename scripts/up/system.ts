import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { promisify } from 'node:util';
import { type ComponentProcess, repoRoot, startComponent } from '../../lib/component-process.ts';
import { envValue } from '../../lib/config.ts';
import { checkBinlogSettings } from '../../lib/database/binlog-check.ts';
import { dataRoot } from '../../lib/database/data-root.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { redactUrl } from '../../lib/database/url.ts';
import { isListening } from '../../lib/net.ts';
import { portOwner } from '../../lib/port-owner.ts';
import { fetchText } from '../cli/fetch-text.ts';
import { type ComponentSpec, components, portOf } from './components.ts';
import { type Endpoints, endpointsFor } from './endpoints.ts';
import { routesFileFor } from './routes-file.ts';

const execFileAsync = promisify(execFile);

/** How long a component gets to stop on SIGTERM before it is killed. */
const stopTimeoutMs = 10_000;

export interface RunningSystem {
  /** The environment every component got (MYSQL_URL, KAFKA_BROKERS, ports, routes file). */
  env: NodeJS.ProcessEnv;
  /** Lines for the user: where each component is. */
  lines: string[];
  /** Processes started here (reused ones are not ours to stop). */
  started: ComponentProcess[];
  urls: Endpoints;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Where component logs go, prefixed by name (npm start: stdout); else only kept in memory. */
  echo?: NodeJS.WritableStream;
  log?: (line: string) => void;
  /** Seed size factor when the shop is empty (STRANGLER_SEED_SCALE; default 1 = 10 000 products). */
  seedScale?: number;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetchText(url, { timeoutMs: 2000 });
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}

async function runSeed(env: NodeJS.ProcessEnv, scale: number, echo?: NodeJS.WritableStream): Promise<void> {
  const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
  const child = spawn(process.execPath, [tsx, 'scripts/seed.ts', '--if-empty', '--scale', String(scale)], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', echo ? 'pipe' : 'ignore', 'pipe'],
  });
  let errors = '';
  child.stdout?.on('data', (c: Buffer) => echo?.write(`[seed] ${c}`));
  child.stderr?.on('data', (c: Buffer) => {
    errors += c;
    echo?.write(`[seed] ${c}`);
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`seeding the shop failed (exit ${code}): ${errors.slice(-2000)}`);
}

/** True when the process named by portOwner() ("pid 123 (node)") was started with `script`. */
async function runsScript(owner: string | undefined, script: string): Promise<boolean> {
  const pid = /pid (\d+)/.exec(owner ?? '')?.[1];
  if (!pid) return false;
  try {
    const { stdout } = await execFileAsync('ps', ['-o', 'args=', '-p', pid]);
    return stdout.includes(script);
  } catch {
    return false;
  }
}

/** Reuses a healthy component already on its port; refuses, naming the holder, when the port is busy otherwise. */
async function reusable(spec: ComponentSpec): Promise<boolean> {
  if (!(await isListening(spec.port))) return false;
  const owner = await portOwner(spec.port);
  if (!spec.healthPath) {
    // The broker speaks Kafka, not HTTP: reuse it when the port holder runs our entry point.
    if (await runsScript(owner, spec.script)) return true;
    throw new Error(
      `port ${spec.port} for ${spec.name} is held by ${owner ?? 'another process'}, which is not ${spec.script}; stop it, set ${spec.name === 'broker' ? 'BROKER_PORT' : 'another port'}, or point KAFKA_BROKERS at a real Kafka`,
    );
  }
  const health = `http://127.0.0.1:${spec.port}${spec.healthPath}`;
  if (await healthy(health)) return true;
  throw new Error(
    `port ${spec.port} for ${spec.name} is held by ${owner ?? 'another process'} that does not answer ${health}; stop it or set another port`,
  );
}

/**
 * Starts the whole toolkit: database (unless MYSQL_URL), seed when empty, then every component
 * as its own process in dependency order, each waited on. `npm start` and the end-to-end tests
 * both go through here, so the tests exercise what users run.
 */
export async function startSystem(options: StartOptions = {}): Promise<RunningSystem> {
  const base = options.env ?? process.env;
  const log = options.log ?? (() => {});
  // MYSQL_URL in the given env wins (tests pass their server that way); else the process env / private MariaDB.
  const given = envValue('MYSQL_URL', base);
  const db = given ? { url: given, private: false } : await resolveServerUrl();
  if (given) await checkBinlogSettings(given);
  // Where the private server keeps its data (STRANGLER_DATA_DIR moves it), relative to the repo when inside it.
  const dbDir = path.join(dataRoot(), 'mariadb');
  const shownDbDir = dbDir.startsWith(repoRoot + path.sep) ? path.relative(repoRoot, dbDir) : dbDir;
  log(`database  ${redactUrl(db.url)}${db.private ? ` (private MariaDB, data in ${shownDbDir})` : ''}`);
  const dataDir = envValue('STRANGLER_DATA_DIR', base) ?? dataRoot();
  const env: NodeJS.ProcessEnv = { ...base, MYSQL_URL: db.url };
  if (!env.KAFKA_BROKERS) env.KAFKA_BROKERS = `127.0.0.1:${portOf(env, 'BROKER_PORT')}`;
  env.PROXY_ROUTES_FILE = await routesFileFor(env, dataDir);
  const scale = options.seedScale ?? Number(envValue('STRANGLER_SEED_SCALE', base) ?? 1);
  await runSeed(env, scale, options.echo);

  const started: ComponentProcess[] = [];
  const lines: string[] = [];
  // Reverse start order: the proxy before the services it sends to, the services and the
  // connector before the broker they talk to, the broker last.
  const stop = async () => {
    for (const c of [...started].reverse()) {
      log(`stopping ${c.name}…`);
      const since = Date.now();
      const code = await c.stop('SIGTERM', stopTimeoutMs);
      const took = `${((Date.now() - since) / 1000).toFixed(1)} s`;
      if (c.child.signalCode === 'SIGKILL')
        log(`${c.name} did not stop within ${stopTimeoutMs / 1000} s; killed (SIGKILL)`);
      else
        log(
          `${c.name} stopped (${code === null ? `signal ${c.child.signalCode}` : `exit ${code}`}, ${took})`,
        );
    }
  };
  try {
    for (const spec of components({ ...env, KAFKA_BROKERS: base.KAFKA_BROKERS })) {
      if (await reusable(spec)) {
        lines.push(`${spec.describe(spec.port)}   (already running, reused)`);
        continue;
      }
      started.push(
        await startComponent({
          name: spec.name,
          script: spec.script,
          args: spec.args,
          env: { ...env, ...spec.env },
          ...(spec.healthPath
            ? { readyUrl: `http://127.0.0.1:${spec.port}${spec.healthPath}` }
            : { readyLine: spec.readyLine }),
          readyTimeoutMs: 90_000,
          echo: options.echo,
          // Only npm start gets a terminal's Ctrl-C; it stops the components in order (above).
          detached: true,
        }),
      );
      lines.push(spec.describe(spec.port));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const urls = endpointsFor(env);
  const token = urls.adminToken ? '(PROXY_ADMIN_TOKEN is set)' : urls.adminTokenFile;
  lines.push(`proxy admin        ${urls.admin}/routes   (bearer token in ${token})`);
  return { env, lines, started, urls, stop };
}
