import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { defaultSeedSize, migrateLatest, seedShop } from '../../legacy-monolith/index.ts';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { checkBinlogSettings } from '../../lib/database/binlog-check.ts';
import { ensurePrivateServer, stopPrivateServer } from '../../lib/database/private-server.ts';
import { createMysqlKnex, ensureDatabase } from '../../lib/knex-mysql.ts';
import { freePort, isListening, waitUntil } from '../../lib/net.ts';
import { type ComponentSpec, components, defaultPorts, type PortName } from '../up/components.ts';
import { ChaosError } from './errors.ts';
import type { Target } from './options.ts';

/** The private MariaDB of chaos runs (under .data/, apart from npm start's and the tests'). */
const privateServerName = 'mariadb-chaos';

/** One component as a process the run may kill and start again. */
export interface Part {
  readonly name: Target;
  readonly port: number;
  /** The running process (replaced on each restart). */
  process(): ComponentProcess;
  /** Whether a process was ever started (it may have exited since). */
  running(): boolean;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data; resolves once it is healthy. */
  start(): Promise<void>;
  /** Starts so far, the first included. */
  starts: number;
  /** Exits the run did not cause (a crash): each is logged, recorded and restarted. */
  readonly crashes: Crash[];
  /** From now on an exit is expected (the run is stopping): no restart; waits for a start under way. */
  retire(): Promise<void>;
}

/** A component that exited without being killed or stopped by the run. */
export interface Crash {
  name: Target;
  /** When: performance.now() here; in a ChaosResult, ms after the load started. */
  at: number;
  exit: string;
  /** The last lines it printed. */
  lastOutput: string;
}

export interface Cluster {
  serverUrl: string;
  databases: { shop: string; catalog: string; orders: string };
  urls: { legacy: string; catalog: string; orders: string; connector: string };
  parts: Map<Target, Part>;
  /** Stops every component (SIGTERM, in reverse start order), drops the databases unless kept. */
  stop(options?: { keep?: boolean }): Promise<void>;
  dataDir: string;
}

const ports = Object.keys(defaultPorts) as PortName[];

/** Each restart gets this long to be healthy, and this many tries. */
const readyTimeoutMs = 90_000;
const startAttempts = 3;

async function startPart(spec: ComponentSpec, env: NodeJS.ProcessEnv): Promise<ComponentProcess> {
  const proc = await startComponent({
    name: spec.name,
    script: spec.script,
    args: spec.args,
    env: { ...env, ...spec.env },
    ...(spec.healthPath ? { readyUrl: `http://127.0.0.1:${spec.port}${spec.healthPath}` } : {}),
    readyTimeoutMs,
  });
  if (!spec.healthPath) {
    // The broker speaks Kafka, not HTTP: ready once its port accepts connections.
    try {
      await waitUntil(`${spec.name} listening on ${spec.port}`, () => isListening(spec.port), {
        timeoutMs: readyTimeoutMs,
        intervalMs: 50,
      });
    } catch (err) {
      await proc.stop('SIGKILL');
      throw err;
    }
  }
  return proc;
}

function makePart(spec: ComponentSpec, env: NodeJS.ProcessEnv, log: (line: string) => void): Part {
  let current: ComponentProcess | undefined;
  let starting: Promise<void> | undefined;
  let retired = false;
  const expected = new WeakSet<ComponentProcess>();

  const launch = async () => {
    let lastError: unknown;
    for (let attempt = 1; attempt <= startAttempts; attempt++) {
      try {
        const proc = await startPart(spec, env);
        current = proc;
        part.starts++;
        proc.exited.then(() => {
          if (expected.has(proc) || retired || current !== proc) return;
          const exit = proc.child.signalCode
            ? `signal ${proc.child.signalCode}`
            : `exit ${proc.child.exitCode}`;
          const lastOutput = proc.output().trim().split('\n').slice(-5).join('\n');
          part.crashes.push({ name: part.name, at: performance.now(), exit, lastOutput });
          log(`${spec.name} exited by itself (${exit}); restarting it. Last output:\n${lastOutput}`);
          part
            .start()
            .catch((err) => log(`${spec.name} did not come back: ${(err as Error).message.split('\n')[0]}`));
        });
        return;
      } catch (err) {
        lastError = err;
        log(`${spec.name}: start attempt ${attempt} failed: ${(err as Error).message.split('\n')[0]}`);
        await new Promise((r) => setTimeout(r, 1000 * attempt));
      }
    }
    throw new ChaosError(
      part.starts === 0 ? 'CHAOS_ERR_START' : 'CHAOS_ERR_RESTART',
      `${spec.name} did not become healthy in ${startAttempts} attempts: ${(lastError as Error).message}`,
      { cause: lastError },
    );
  };

  const part: Part = {
    name: spec.name as Target,
    port: spec.port,
    starts: 0,
    crashes: [],
    running: () => current !== undefined,
    process() {
      if (!current) throw new Error(`${spec.name} was never started`);
      return current;
    },
    async kill() {
      // a restart under way (after a crash) finishes first: never two processes on one port
      if (starting) await starting.catch(() => undefined);
      const proc = part.process();
      expected.add(proc);
      proc.child.kill('SIGKILL');
      await proc.exited;
    },
    start() {
      // one start at a time: a crash restart and a kill's restart share it
      starting ??= launch().finally(() => {
        starting = undefined;
      });
      return starting;
    },
    async retire() {
      retired = true;
      if (starting) await starting.catch(() => undefined);
    },
  };
  return part;
}

/**
 * Starts the parts the run needs as real processes, each on a free port of 127.0.0.1 with its
 * own data: a database server (the private MariaDB unless a URL is given), fresh shop, catalog
 * and orders databases, a seeded shop, then broker, monolith, connector, catalog and orders in
 * `npm start`'s order, from `npm start`'s own component list. No proxy: the load goes straight
 * to the monolith, the side whose writes the services must copy.
 */
export async function startCluster(options: {
  mysqlUrl?: string;
  seedScale: number;
  log: (line: string) => void;
}): Promise<Cluster> {
  const log = options.log;
  let serverUrl: string;
  let ownServer = false;
  if (options.mysqlUrl) {
    await checkBinlogSettings(options.mysqlUrl);
    serverUrl = options.mysqlUrl;
  } else {
    const server = await ensurePrivateServer({ name: privateServerName });
    serverUrl = server.url;
    ownServer = !server.reused;
    log(`database: private MariaDB on port ${server.port}${server.reused ? ' (reused)' : ''}`);
  }
  const suffix = randomBytes(3).toString('hex');
  const databases = {
    shop: `chaos_shop_${suffix}`,
    catalog: `chaos_catalog_${suffix}`,
    orders: `chaos_orders_${suffix}`,
  };
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'strangler-chaos-'));
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ports) env[name] = String(await freePort());
  Object.assign(env, {
    MYSQL_URL: serverUrl,
    SHOP_DB: databases.shop,
    CATALOG_DB: databases.catalog,
    ORDERS_DB: databases.orders,
    STRANGLER_DATA_DIR: dataDir,
    BROKER_DATA_DIR: path.join(dataDir, 'broker'),
    // every binlog reader on a server needs its own id
    CONNECTOR_SERVER_ID: String(200_000 + Math.floor(Math.random() * 1_000_000_000)),
    KAFKA_BROKERS: `127.0.0.1:${env.BROKER_PORT}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  });
  delete env.PROXY_ROUTES_FILE;
  delete env.CONNECTOR_CONFIG;

  const parts = new Map<Target, Part>();
  const dropDatabases = async () => {
    const admin = createMysqlKnex(serverUrl, '', { min: 0, max: 1 });
    try {
      for (const db of Object.values(databases)) await admin.raw(`DROP DATABASE IF EXISTS \`${db}\``);
    } finally {
      await admin.destroy();
    }
  };
  const stop = async ({ keep = false } = {}) => {
    for (const part of parts.values()) await part.retire();
    for (const part of [...parts.values()].reverse()) {
      if (!part.running()) continue;
      await part.process().stop('SIGTERM', 10_000);
    }
    if (keep) {
      log(`kept: databases ${Object.values(databases).join(', ')}, data in ${dataDir}`);
      return;
    }
    await dropDatabases().catch((err) =>
      log(`could not drop the run's databases: ${(err as Error).message}`),
    );
    await fs.rm(dataDir, { recursive: true, force: true });
    if (ownServer) await stopPrivateServer({ name: privateServerName });
  };

  try {
    await ensureDatabase(serverUrl, databases.shop);
    const shop = createMysqlKnex(serverUrl, databases.shop);
    try {
      await migrateLatest(shop);
      const scale = options.seedScale;
      const seeded = await seedShop(shop, {
        products: Math.round(defaultSeedSize.products * scale),
        users: Math.round(defaultSeedSize.users * scale),
        orders: Math.round(defaultSeedSize.orders * scale),
        seed: defaultSeedSize.seed,
      });
      log(
        `seeded ${databases.shop}: ${Object.entries(seeded.rows)
          .map(([t, n]) => `${t} ${n}`)
          .join(', ')}`,
      );
    } finally {
      await shop.destroy();
    }
    const wanted: Target[] = ['broker', 'monolith', 'connector', 'catalog', 'orders'];
    const specs = components({ ...env, KAFKA_BROKERS: undefined, CDC_CONNECTOR: undefined }).filter((c) =>
      wanted.includes(c.name as Target),
    );
    for (const spec of specs) {
      const part = makePart(spec, env, log);
      parts.set(part.name, part);
    }
    const startOne = async (part: Part) => {
      const since = Date.now();
      await part.start();
      log(`${part.name} up on 127.0.0.1:${part.port} (${((Date.now() - since) / 1000).toFixed(1)} s)`);
    };
    // The broker first; the rest side by side (each waits for what it needs: Kafka clients
    // retry until the broker and the topics are there), which halves the start on two cores.
    await startOne(parts.get('broker')!);
    const rest = await Promise.allSettled(
      [...parts.values()].filter((p) => p.name !== 'broker').map(startOne),
    );
    const failed = rest.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (err) {
    await stop();
    throw err instanceof ChaosError
      ? err
      : new ChaosError('CHAOS_ERR_START', `could not start the toolkit: ${(err as Error).message}`, {
          cause: err,
        });
  }
  const local = (name: PortName) => `http://127.0.0.1:${env[name]}`;
  return {
    serverUrl,
    databases,
    urls: {
      legacy: local('MONOLITH_PORT'),
      catalog: local('CATALOG_PORT'),
      orders: local('ORDERS_PORT'),
      connector: local('CONNECTOR_PORT'),
    },
    parts,
    stop,
    dataDir,
  };
}
