import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { checkKafkaAccess } from '../../cdc/consumer/index.ts';
import { type ComponentProcess, repoRoot, startComponent } from '../../lib/component-process.ts';
import { envValue } from '../../lib/config.ts';
import { checkBinlogSettings } from '../../lib/database/binlog-check.ts';
import { dataRoot } from '../../lib/database/data-root.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { redactUrl } from '../../lib/database/url.ts';
import { ConfigError } from '../../lib/errors.ts';
import { describeKafkaSecurity, loadKafkaSecurity } from '../../lib/kafka-security.ts';
import { isListening } from '../../lib/net.ts';
import { portOwner } from '../../lib/port-owner.ts';
import { isAlive } from '../../lib/process.ts';
import { supervisorOf } from '../../lib/supervisor-link.ts';
import { fetchText } from '../cli/fetch-text.ts';
import { type ComponentSpec, cdcConnectorMode, components, portOf, serviceTopics } from './components.ts';
import { type Endpoints, endpointsFor } from './endpoints.ts';
import { exitCause, outputTail, restartDelayMs, restartPolicy } from './restart-policy.ts';
import { routesFileFor } from './routes-file.ts';
import {
  type SupervisedComponentState,
  supervisorStateFile,
  writeSupervisorState,
} from './supervisor-state.ts';

const execFileAsync = promisify(execFile);

/** How long a component gets to stop on SIGTERM before it is killed. */
const stopTimeoutMs = 10_000;

export interface RunningSystem {
  /** The environment every component got (MYSQL_URL, KAFKA_BROKERS, ports, routes file). */
  env: NodeJS.ProcessEnv;
  /** Lines for the user: where each component is. */
  lines: string[];
  /** Processes started here, the current one of each after a restart (reused ones are not ours to stop). */
  readonly started: ComponentProcess[];
  urls: Endpoints;
  stop(): Promise<void>;
}

export interface StartOptions {
  env?: NodeJS.ProcessEnv;
  /** Where component logs go, prefixed by name (npm start: stdout); else only kept in memory. */
  echo?: NodeJS.WritableStream;
  /** How each echoed line is shown (npm start on a terminal: one human line per log event). */
  formatLine?: (line: string) => string;
  log?: (line: string) => void;
  /** Seed size factor when the shop is empty (STRANGLER_SEED_SCALE; default 1 = 10 000 products). */
  seedScale?: number;
  /**
   * Aborting during start-up stops what was launched so far, in reverse order (the component
   * still starting first), and startSystem rejects; after start-up, call stop().
   */
  signal?: AbortSignal;
  /**
   * npm start: restart a component that exits on its own, with capped exponential backoff
   * (restart-policy.ts), and keep the rest running; its state goes to the supervisor state
   * file for `strangler status`. Without it (the test fixtures), a component that dies stays down.
   */
  restart?: boolean;
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetchText(url, { timeoutMs: 2000 });
    return res.status >= 200 && res.status < 300;
  } catch {
    return false;
  }
}

async function runSeed(
  env: NodeJS.ProcessEnv,
  scale: number,
  output: Pick<StartOptions, 'echo' | 'formatLine'>,
  signal: AbortSignal | undefined,
): Promise<void> {
  // A component-like child: it stops itself should npm start die, and an abort stops it.
  const seed = await startComponent({
    name: 'seed',
    script: 'scripts/seed.ts',
    args: ['--if-empty', '--scale', String(scale)],
    env,
    echo: output.echo,
    formatLine: output.formatLine,
    detached: true,
    signal,
  });
  const stopSeed = () => void seed.stop();
  signal?.addEventListener('abort', stopSeed, { once: true });
  const code = await seed.exited;
  signal?.removeEventListener('abort', stopSeed);
  signal?.throwIfAborted();
  if (code !== 0) throw new Error(`seeding the shop failed (exit ${code}): ${seed.output().slice(-2000)}`);
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

/**
 * A component left by an `npm start` (or a test) that is gone: its process names, in the
 * environment it was started with, a supervisor pid that no longer runs. Such a toolkit is
 * half-dead (nobody restarts or stops it), so it is reported, never adopted.
 */
async function leftBehind(spec: ComponentSpec, owner: string | undefined): Promise<void> {
  const pid = Number(/pid (\d+)/.exec(owner ?? '')?.[1]);
  if (!pid) return;
  const supervisor = await supervisorOf(pid);
  if (supervisor === undefined || isAlive(supervisor)) return;
  throw new Error(
    `port ${spec.port} for ${spec.name} is held by ${owner}, a ${spec.name} left behind by an npm start (pid ${supervisor}) that is gone: ` +
      `not adopting a half-dead toolkit. Stop it with \`kill ${pid}\` (\`kill -9 ${pid}\` if it is still there after 10 s), then run npm start again`,
  );
}

/** Reuses a healthy component already on its port; refuses, naming the holder, when the port is busy otherwise. */
async function reusable(spec: ComponentSpec): Promise<boolean> {
  if (!(await isListening(spec.port))) return false;
  const owner = await portOwner(spec.port);
  await leftBehind(spec, owner);
  if (!spec.healthPath) {
    // The broker speaks Kafka, not HTTP: reuse it when the port holder runs our entry point.
    if (await runsScript(owner, spec.script)) return true;
    throw new Error(
      `port ${spec.port} for ${spec.name} is held by ${owner ?? 'another process'}, which is not ${spec.script}; stop it, set ${spec.name === 'broker' ? 'BROKER_PORT' : 'another port'}, or point KAFKA_BROKERS at a real Kafka`,
    );
  }
  const health = `http://127.0.0.1:${spec.port}${spec.readyPath ?? spec.healthPath}`;
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
  // A wrong CDC_CONNECTOR stops the start before anything runs.
  const connectorMode = cdcConnectorMode(base);
  // Checked before anything starts, rather than by each component as it fails in turn.
  const security = loadKafkaSecurity('npm start', base);
  const kafkaBrokers = envValue('KAFKA_BROKERS', base);
  if (security.protocol !== 'PLAINTEXT') {
    if (!kafkaBrokers)
      throw new ConfigError('npm start', [
        `KAFKA_SECURITY_PROTOCOL=${security.protocol} needs KAFKA_BROKERS (a real Kafka): the embedded broker (cdc/broker) has no TLS or SASL`,
      ]);
    log(`kafka     ${kafkaBrokers} ${JSON.stringify(describeKafkaSecurity(security))}`);
    // A refused password or CA would otherwise show as the connector and services exiting and
    // being restarted in turn: one attempt now names it (a Kafka merely down is left to them).
    await checkKafkaAccess(kafkaBrokers.split(','), 'strangler-start', security);
  }
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
  const signal = options.signal;
  signal?.throwIfAborted();
  await runSeed(env, scale, options, signal);

  // One slot per component started here, in start order; a restart replaces its process.
  const slots: Slot[] = [];
  const lines: string[] = [];
  let stopped = false;
  const startOne = (spec: ComponentSpec, abort?: AbortSignal) =>
    startComponent({
      name: spec.name,
      script: spec.script,
      args: spec.args,
      env: { ...env, ...spec.env },
      ...(spec.healthPath
        ? { readyUrl: `http://127.0.0.1:${spec.port}${spec.readyPath ?? spec.healthPath}` }
        : { readyLine: spec.readyLine }),
      readyTimeoutMs: 90_000,
      echo: options.echo,
      formatLine: options.formatLine,
      // Only npm start gets a terminal's Ctrl-C; it stops the components in order (stop below).
      detached: true,
      signal: abort,
    });
  const supervisor = options.restart
    ? new Restarter(slots, startOne, log, supervisorStateFile(dataDir, portOf(env, 'PROXY_PORT')))
    : undefined;
  // Reverse start order: the proxy before the services it sends to, the services and the
  // connector before the broker they talk to, the broker last.
  const stop = async () => {
    stopped = true;
    await supervisor?.stop();
    for (const slot of [...slots].reverse()) {
      const c = slot.process;
      if (!c || c.child.exitCode !== null || c.child.signalCode !== null) continue;
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
      signal?.throwIfAborted();
      if (await reusable(spec)) {
        lines.push(`${spec.describe(spec.port)}   (already running, reused)`);
        continue;
      }
      const slot: Slot = { spec, restarts: 0 };
      slots.push(slot);
      try {
        slot.process = await startOne(spec, signal);
        slot.readyAt = Date.now();
        lines.push(spec.describe(spec.port));
      } catch (err) {
        // Under supervision only the broker, connector and services may be down at start-up:
        // legacy traffic does not need them, and they get the same restarts as later.
        if (signal?.aborted) log(`stopped ${spec.name}, which was still starting`);
        if (!supervisor || spec.essential || signal?.aborted) throw err;
        slot.startError = err;
        lines.push(`${spec.describe(spec.port)}   (FAILED to start; restarting, see strangler status)`);
      }
    }
    signal?.throwIfAborted();
  } catch (err) {
    await stop();
    throw err;
  }
  // Nothing started here (all reused): nothing to supervise, and another npm start's state file stays.
  if (supervisor && !stopped && slots.length > 0) await supervisor.watchAll();
  if (connectorMode === 'external')
    lines.push(
      `change events      external connector (CDC_CONNECTOR=external): topics ${serviceTopics(env)} on ${env.KAFKA_BROKERS}`,
    );
  const urls = endpointsFor(env);
  const token = urls.adminToken ? '(PROXY_ADMIN_TOKEN is set)' : urls.adminTokenFile;
  lines.push(`proxy admin        ${urls.admin}/routes   (bearer token in ${token})`);
  return {
    env,
    lines,
    get started() {
      return slots.flatMap((s) => (s.process ? [s.process] : []));
    },
    urls,
    stop,
  };
}

interface Slot {
  spec: ComponentSpec;
  process?: ComponentProcess;
  readyAt?: number;
  restarts: number;
  attempt?: number;
  state?: SupervisedComponentState['state'];
  nextStartAt?: number;
  cause?: string;
  lastOutput?: string[];
  timer?: NodeJS.Timeout;
  /** Why its first start failed (supervised start-up of a non-essential component). */
  startError?: unknown;
  /** A restart in progress. */
  starting?: Promise<void>;
}

/** The cause of a failed restart: startComponent's first line, then the component's last line. */
function startFailure(err: unknown): { cause: string; output: string } {
  const message = err instanceof Error ? err.message : String(err);
  const [first, ...rest] = message.split('\n');
  const output = rest.join('\n');
  const last = outputTail(output, 1, 240)[0];
  return {
    cause: last
      ? `${first!.replace(/:$/, '')}: ${exitCause(0, null, last).replace(/^exited with code 0: /, '')}`
      : first!,
    output,
  };
}

/**
 * npm start's supervision after start-up: a component that exits on its own is restarted after
 * a capped exponential backoff (restart-policy.ts) while every other component keeps running;
 * each change is logged and written to the state file `strangler status` reads.
 */
class Restarter {
  #stopping = false;
  /** Set once this npm start wrote the state file: only then is it ours to remove. */
  #wrote = false;
  readonly #abort = new AbortController();
  readonly #startedAt = new Date().toISOString();

  constructor(
    private readonly slots: Slot[],
    private readonly start: (spec: ComponentSpec, signal: AbortSignal) => Promise<ComponentProcess>,
    private readonly log: (line: string) => void,
    private readonly stateFile: string,
  ) {}

  async watchAll(): Promise<void> {
    for (const slot of this.slots) {
      if (slot.process) {
        slot.state = 'running';
        this.#watch(slot);
      } else {
        const { cause, output } = startFailure(slot.startError);
        this.#failed(slot, cause, output);
      }
    }
    await this.#save();
  }

  #watch(slot: Slot): void {
    const proc = slot.process!;
    void proc.exited.then((code) => {
      if (this.#stopping || slot.process !== proc) return;
      this.#failed(slot, exitCause(code, proc.child.signalCode, proc.output()), proc.output());
    });
  }

  #failed(slot: Slot, cause: string, output: string): void {
    // A component that stayed up long enough counts as recovered: the backoff starts again.
    const stable = slot.readyAt !== undefined && Date.now() - slot.readyAt >= restartPolicy.stableAfterMs;
    const attempt = stable || slot.attempt === undefined ? 1 : slot.attempt + 1;
    const delay = restartDelayMs(attempt);
    slot.state = 'restarting';
    slot.attempt = attempt;
    slot.cause = cause;
    slot.lastOutput = outputTail(output, 10);
    slot.nextStartAt = Date.now() + delay;
    slot.readyAt = undefined;
    this.log(
      `${slot.spec.name} ${cause}; restarting in ${delay / 1000} s (attempt ${attempt}); the other components keep running`,
    );
    slot.timer = setTimeout(() => {
      slot.starting = this.#restart(slot);
    }, delay);
    void this.#save();
  }

  async #restart(slot: Slot): Promise<void> {
    if (this.#stopping) return;
    slot.state = 'starting';
    slot.nextStartAt = undefined;
    void this.#save();
    this.log(`starting ${slot.spec.name} again (attempt ${slot.attempt})…`);
    try {
      const proc = await this.start(slot.spec, this.#abort.signal);
      slot.process = proc;
      if (this.#stopping) return; // stop() stops it with the rest
      slot.restarts++;
      slot.readyAt = Date.now();
      slot.state = 'running';
      this.log(`${slot.spec.name} is back (restart ${slot.restarts})`);
      this.#watch(slot);
      await this.#save();
    } catch (err) {
      if (this.#stopping) return;
      const { cause, output } = startFailure(err);
      this.#failed(slot, cause, output);
    }
  }

  async #save(): Promise<void> {
    if (this.#stopping) return;
    try {
      await writeSupervisorState(this.stateFile, {
        pid: process.pid,
        startedAt: this.#startedAt,
        updatedAt: new Date().toISOString(),
        components: this.slots.map((s) => ({
          name: s.spec.name,
          state: s.state ?? 'running',
          ...(s.process?.child.pid !== undefined ? { pid: s.process.child.pid } : {}),
          port: s.spec.port,
          restarts: s.restarts,
          ...(s.state !== 'running' && s.attempt !== undefined ? { attempt: s.attempt } : {}),
          ...(s.nextStartAt !== undefined ? { nextStartAt: s.nextStartAt } : {}),
          ...(s.cause !== undefined ? { cause: s.cause } : {}),
          ...(s.lastOutput !== undefined ? { lastOutput: s.lastOutput } : {}),
        })),
      });
      this.#wrote = true;
    } catch (err) {
      this.log(`could not write ${this.stateFile}: ${(err as Error).message}`);
    }
  }

  /** No more restarts; a start in progress is stopped (the caller then stops the rest in order). */
  async stop(): Promise<void> {
    this.#stopping = true;
    for (const slot of this.slots) clearTimeout(slot.timer);
    this.#abort.abort();
    await Promise.all(this.slots.map((s) => s.starting));
    if (this.#wrote) await fs.rm(this.stateFile, { force: true }).catch(() => {});
  }
}
