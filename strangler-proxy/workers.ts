import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../lib/log.ts';
import { settledWithin } from '../lib/timeout.ts';
import { resolveSecret } from './admin/admin-token.ts';
import type { BreakerState, BreakerStates } from './breakers.ts';
import type { ProxyConfig } from './config.ts';
import type { Mode } from './flags/flag-mapping.ts';
import { loadOverrideSigner } from './flags/tester-override.ts';
import type { ProxyStats, StatsSnapshot } from './metrics.ts';
import type { RouteTableFile } from './routes/route-schema.ts';
import { buildRouteTable, loadRouteTableFile, type RouteTable } from './routes/route-table.ts';
import { createServingState, listenPublic, startDecider } from './serving.ts';
import { asBuffer, defaultHookModes, type Exchange, type ShadowHook } from './shadow-hook.ts';
import {
  readWriteSides,
  statesOf,
  type WriteCounts,
  type WriteStates,
  writeSidesFile,
} from './writes/write-state.ts';

/**
 * PROXY_WORKERS > 1: one primary process and N worker processes (node:cluster; the primary
 * accepts client connections and hands them to the workers in turn).
 *
 * - The primary owns everything there must be one of: the admin API (and with it the
 *   embedded Unleash client API), the route file watcher and the route edits, the
 *   comparison engine and its store (one writer), and its own unleash client for
 *   /decision and /flags.
 * - Each worker serves client traffic with its own upstream pools, breakers, counters and
 *   unleash client. Its unleash client polls the flag source like any proxy instance would,
 *   so a flag change reaches every worker within UNLEASH_REFRESH_MS (≤ 2 s).
 * - A route table the primary accepted (file change or admin API) is sent to every worker.
 * - So are the routes' write sides and holds (writes/), on every change and to a worker as soon
 *   as it is ready; a worker starts from the durable sides file. The write switch asks every
 *   worker for its writes in flight and held, as /stats does for counters.
 * - /stats and /metrics ask every worker for its counters and breaker states and sum them.
 * - Exchanges for the shadow hook travel to the primary's comparison engine over the IPC
 *   channel (bodies included); more than PROXY_COMPARE_QUEUE of them unsent in a worker are
 *   shed and counted, as the engine itself does when it is full.
 * A worker that dies is replaced; its counters start again at zero (Prometheus treats that
 * as a counter reset, as with a restarted process).
 */

type ToWorker =
  | { t: 'table'; file: RouteTableFile }
  | { t: 'stats'; id: number }
  | { t: 'writes'; states: WriteStates }
  | { t: 'write-counts'; id: number };
type ToPrimary =
  | { t: 'ready'; port: number }
  | { t: 'stats'; id: number; stats: StatsSnapshot; breakers: [string, BreakerState][] }
  | { t: 'write-counts'; id: number; counts: Record<string, WriteCounts> }
  | { t: 'write-overflow'; routeId: string; holdId: string }
  | { t: 'exchange'; exchange: Exchange }
  | { t: 'shed'; routeId: string };
type Reply = Extract<ToPrimary, { id: number }>;

const env = {
  adminPort: 'STRANGLER_PROXY_ADMIN_PORT',
  hookModes: 'STRANGLER_PROXY_HOOK_MODES',
  index: 'STRANGLER_PROXY_WORKER_INDEX',
} as const;

const severity: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/** The workers' breakers seen from the primary: per upstream, the most open state any worker has. */
class CombinedBreakers implements BreakerStates {
  #states = new Map<string, BreakerState>();

  set(lists: [string, BreakerState][][]): void {
    const next = new Map<string, BreakerState>();
    for (const list of lists) {
      for (const [origin, state] of list) {
        const seen = next.get(origin);
        if (seen === undefined || severity[state] > severity[seen]) next.set(origin, state);
      }
    }
    this.#states = next;
  }

  stateOf(origin: string): BreakerState {
    return this.#states.get(origin) ?? 'closed';
  }

  entries(): [string, BreakerState][] {
    return [...this.#states];
  }
}

export interface PrimaryHooks {
  /** The comparison engine's hook; exchanges from the workers go to it. */
  hook: ShadowHook | undefined;
  /** Counts an exchange a worker had to shed (the comparison store's `shed` outcome). */
  shed(routeId: string): void;
  /** The routes' write sides and holds (writes/write-control.ts). */
  writes: { states(): WriteStates; overflow(routeId: string, holdId: string): void };
}

export class ProxyWorkers {
  readonly breakers = new CombinedBreakers();
  readonly #byIndex = new Map<number, Worker>();
  readonly #replies = new Map<number, (m: Reply) => void>();
  #nextId = 0;
  #stopping = false;
  #refreshing: Promise<void> | undefined;

  constructor(
    private readonly count: number,
    private readonly adminPort: number,
    private readonly hooks: PrimaryHooks,
    private readonly log: Logger,
  ) {
    cluster.setupPrimary({
      exec: fileURLToPath(new URL('./worker-main.ts', import.meta.url)),
      // exchanges carry Buffers: the structured-clone serialisation keeps them binary
      serialization: 'advanced',
    });
  }

  /** Forks every worker; resolves with the public port once all of them listen. */
  async start(): Promise<number> {
    const ports = await Promise.all(Array.from({ length: this.count }, (_, i) => this.#fork(i + 1)));
    return ports[0]!;
  }

  #fork(index: number): Promise<number> {
    const worker = cluster.fork({
      [env.adminPort]: String(this.adminPort),
      [env.hookModes]: this.hooks.hook ? [...(this.hooks.hook.modes ?? defaultHookModes)].join(',') : '',
      [env.index]: String(index),
    });
    this.#byIndex.set(index, worker);
    const ready = new Promise<number>((resolve, reject) => {
      worker.once('exit', (code) =>
        reject(new Error(`proxy worker ${index} exited (code ${code}) before it was ready`)),
      );
      worker.on('message', (m: ToPrimary) => {
        if (m.t === 'ready') {
          // whatever changed while it started (a hold above all) reaches it before it is counted on
          worker.send({ t: 'writes', states: this.hooks.writes.states() } satisfies ToWorker);
          resolve(m.port);
        } else this.#onMessage(m);
      });
    });
    worker.once('exit', (code, signal) => {
      if (this.#byIndex.get(index) === worker) this.#byIndex.delete(index);
      if (this.#stopping) return;
      this.log.error({ worker: index, code, signal }, 'proxy worker died; starting a new one');
      this.#fork(index).catch((err: Error) =>
        this.log.error({ err: err.message }, 'proxy worker restart failed'),
      );
    });
    return ready;
  }

  #onMessage(m: ToPrimary): void {
    if (m.t === 'stats' || m.t === 'write-counts') this.#replies.get(m.id)?.(m);
    else if (m.t === 'write-overflow') this.hooks.writes.overflow(m.routeId, m.holdId);
    else if (m.t === 'exchange') {
      try {
        this.hooks.hook?.onExchange(withBuffers(m.exchange));
      } catch (err) {
        this.log.error({ err, route: m.exchange.routeId }, 'shadow hook threw; exchange dropped');
      }
    } else if (m.t === 'shed') this.hooks.shed(m.routeId);
  }

  /** A table the primary accepted: every worker switches to it. */
  applyTable(file: RouteTableFile): void {
    for (const worker of this.#byIndex.values())
      if (worker.isConnected()) worker.send({ t: 'table', file } satisfies ToWorker);
  }

  /** The routes' write sides and holds: every worker switches to them. */
  applyWrites(states: WriteStates): void {
    for (const worker of this.#byIndex.values())
      if (worker.isConnected()) worker.send({ t: 'writes', states } satisfies ToWorker);
  }

  /** Every worker's writes in flight and held (a worker that does not answer within 1 s is left out). */
  async writeCounts(): Promise<Record<string, WriteCounts>[]> {
    const replies = await this.#ask((id) => ({ t: 'write-counts', id }));
    return replies.flatMap((r) => (r.t === 'write-counts' ? [r.counts] : []));
  }

  /**
   * Sums every worker's counters into `into` and takes their breaker states (a worker that
   * does not answer within 1 s is left out of this round).
   */
  refresh(into: ProxyStats): Promise<void> {
    // concurrent scrapes share one round trip
    this.#refreshing ??= this.#collect(into).finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #collect(into: ProxyStats): Promise<void> {
    const replies = (await this.#ask((id) => ({ t: 'stats', id }))).flatMap((r) =>
      r.t === 'stats' ? [r] : [],
    );
    into.clear();
    for (const r of replies) into.add(r.stats);
    this.breakers.set(replies.map((r) => r.breakers));
  }

  /** One question to every connected worker; the answers that came within 1 s. */
  async #ask(question: (id: number) => ToWorker): Promise<Reply[]> {
    const workers = [...this.#byIndex.values()].filter((w) => w.isConnected());
    const id = ++this.#nextId;
    const replies: Reply[] = [];
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 1000);
      this.#replies.set(id, (m) => {
        replies.push(m);
        if (replies.length === workers.length) {
          clearTimeout(timer);
          resolve();
        }
      });
      if (workers.length === 0) resolve();
      for (const w of workers) w.send(question(id));
    });
    this.#replies.delete(id);
    return replies;
  }

  /** SIGTERM to every worker (each drains its connections and closes its pools), then waits. */
  async stop(timeoutMs = 5000): Promise<void> {
    this.#stopping = true;
    const workers = [...this.#byIndex.values()];
    await settledWithin(
      Promise.all(
        workers.map((w) => {
          if (w.isDead()) return undefined;
          const exited = once(w, 'exit');
          w.process.kill('SIGTERM');
          return exited;
        }),
      ),
      timeoutMs,
    );
    for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
  }
}

/** Bodies cross the channel as Uint8Array; the hook contract says Buffer. */
function withBuffers(x: Exchange): Exchange {
  x.request.body = x.request.body === undefined ? undefined : asBuffer(x.request.body);
  x.response.body = asBuffer(x.response.body);
  return x;
}

/** A worker process: serves client traffic; see the top of this file for what it shares. */
export async function runWorker(config: ProxyConfig, log: Logger): Promise<void> {
  const index = Number(process.env[env.index]);
  const adminPort = Number(process.env[env.adminPort]);
  const state = createServingState(config, log);
  const send = (m: ToPrimary, done?: () => void) => {
    if (process.connected) process.send!(m, undefined, undefined, done);
  };
  // Listening from the first moment: a table the primary accepts while this worker starts
  // must not be missed, and it is newer than whatever the file read below returns.
  let table: RouteTable | undefined;
  let writesFromPrimary = false;
  state.writes.onOverflow = (routeId, holdId) => send({ t: 'write-overflow', routeId, holdId });
  process.on('message', (m: ToWorker) => {
    if (m.t === 'table') {
      // the primary validated it; building compiles the patterns in this process
      table = buildRouteTable(m.file, config.captureMaxBytes);
      state.pools.retain(table.origins);
    } else if (m.t === 'stats') {
      send({ t: 'stats', id: m.id, stats: state.stats.snapshot(), breakers: state.breakers.entries() });
    } else if (m.t === 'writes') {
      writesFromPrimary = true;
      state.writes.apply(m.states);
    } else if (m.t === 'write-counts') {
      send({ t: 'write-counts', id: m.id, counts: state.writes.counts() });
    }
  });
  const loaded = await loadRouteTableFile(config.routesFile, config.captureMaxBytes);
  table ??= loaded;
  // the durable sides until the primary's picture arrives (it is newer: it may carry a hold)
  const sides = await readWriteSides(writeSidesFile(config.dataDir));
  if (!writesFromPrimary) state.writes.apply(statesOf(sides));
  // the primary resolved the token first (and wrote the file when it generated one)
  const { token } = await resolveSecret(config.adminToken, config.tokenFile);
  const decider = await startDecider(config, adminPort, token, log, `unleash-backup-worker-${index}`);
  const modes = (process.env[env.hookModes] ?? '').split(',').filter(Boolean) as Exclude<Mode, 'legacy'>[];
  let unsent = 0;
  const hook: ShadowHook | undefined =
    modes.length === 0
      ? undefined
      : {
          modes: new Set(modes),
          onExchange(exchange) {
            if (unsent >= config.compareQueue) return send({ t: 'shed', routeId: exchange.routeId });
            unsent++;
            send({ t: 'exchange', exchange }, () => {
              unsent--;
            });
          },
        };
  const overrides = await loadOverrideSigner(config);
  const { server, port } = await listenPublic(config, state, {
    table: () => table!,
    decider,
    hook,
    log,
    overrides,
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeIdleConnections();
    state.writes.releaseAll();
    decider.destroy();
    state.breakers.shutdown();
    await state.pools.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  // Ctrl-C reaches the whole process group: the primary stops the workers in order
  process.on('SIGINT', () => {});
  // the primary is gone: nothing would ever stop this worker
  process.on('disconnect', () => void stop());
  send({ t: 'ready', port });
}
