import type { Knex } from 'knex';
import { SeededRandom } from '../../legacy-monolith/seed/random.ts';
import type { Cluster } from './cluster.ts';
import type { Target } from './options.ts';
import { caughtUp, legacyPosition } from './positions.ts';

export interface PlannedKill {
  /** Milliseconds after the load started. */
  atMs: number;
  target: Target;
}

/** One SIGKILL and how the component came back. */
export interface KillRecord extends PlannedKill {
  /** When it really happened (later than planned when the target was still recovering). */
  firedMs: number;
  pid: number;
  /** Kill → the restarted process answered its health check (the broker: accepted connections). */
  healthyMs?: number;
  /** Kill → its consumer had caught up with legacy's binlog position as of being healthy again. */
  caughtUpMs?: number;
  error?: string;
}

/**
 * The kills of a run, from the seed alone: moments drawn uniformly over the middle 70 % of the
 * load (10 %–80 %, so the first writes land before and the last kill can recover under load),
 * each with a target drawn from the allowed ones. The same seed gives the same plan.
 */
export function planKills(
  seed: number,
  kills: number,
  durationMs: number,
  targets: readonly Target[],
): PlannedKill[] {
  const rng = SeededRandom.stream(seed, 11);
  const plan: PlannedKill[] = [];
  for (let i = 0; i < kills; i++) {
    plan.push({ atMs: Math.round(durationMs * (0.1 + 0.7 * rng.next())), target: rng.pick(targets) });
  }
  return plan.sort((a, b) => a.atMs - b.atMs);
}

/** Whose consumer must have caught up before the killed component counts as recovered. */
const consumersOf: Record<Target, ('catalog' | 'orders')[]> = {
  // the connector's own reading of the binlog: its acknowledged position (checked by caughtUp)
  monolith: [],
  connector: [],
  broker: ['catalog', 'orders'],
  catalog: ['catalog'],
  orders: ['orders'],
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

/** Sleeps until `until` (performance.now() time), or less when the signal aborts. */
async function sleepUntil(until: number, signal?: AbortSignal): Promise<void> {
  while (!signal?.aborted && performance.now() < until) await sleep(Math.min(200, until - performance.now()));
}

/**
 * Carries out the plan against the cluster: at each moment SIGKILL the target's process, start
 * it again at once (the run supervises it itself), and time the recovery. A target that is still
 * recovering from an earlier kill is killed once it is healthy again. Resolves when every kill
 * has recovered or timed out.
 */
export async function runKills(options: {
  cluster: Cluster;
  shop: Knex;
  plan: PlannedKill[];
  startedAt: number;
  catchUpTimeoutMs: number;
  log: (line: string) => void;
  signal?: AbortSignal;
}): Promise<KillRecord[]> {
  const { cluster, plan, log } = options;
  const busy = new Map<Target, Promise<void>>();
  const records: KillRecord[] = [];
  const tasks: Promise<void>[] = [];
  const since = () => Math.round(performance.now() - options.startedAt);

  const recover = async (record: KillRecord, killedAt: number) => {
    const part = cluster.parts.get(record.target)!;
    try {
      await part.start();
    } catch (err) {
      record.error = (err as Error).message.split('\n')[0];
      log(`kill ${records.indexOf(record) + 1}: ${record.target} did not come back: ${record.error}`);
      return;
    }
    record.healthyMs = Math.round(performance.now() - killedAt);
    const target = await legacyPosition(options.shop);
    const services = consumersOf[record.target].map((s) => cluster.urls[s]);
    const deadline = performance.now() + options.catchUpTimeoutMs;
    while (performance.now() < deadline && !options.signal?.aborted) {
      if (await caughtUp(cluster.urls, services, target)) {
        record.caughtUpMs = Math.round(performance.now() - killedAt);
        break;
      }
      await sleep(100);
    }
    if (record.caughtUpMs === undefined)
      record.error = `not caught up with legacy within ${options.catchUpTimeoutMs / 1000} s`;
    log(
      `kill ${records.indexOf(record) + 1}: ${record.target} healthy after ${record.healthyMs} ms, ` +
        (record.caughtUpMs === undefined ? record.error : `caught up after ${record.caughtUpMs} ms`),
    );
  };

  for (const planned of plan) {
    await sleepUntil(options.startedAt + planned.atMs, options.signal);
    const previous = busy.get(planned.target);
    if (previous) await previous;
    if (options.signal?.aborted) break;
    const part = cluster.parts.get(planned.target);
    if (!part) throw new Error(`no component ${planned.target} in this run`);
    const pid = part.process().child.pid ?? 0;
    const record: KillRecord = { ...planned, firedMs: since(), pid };
    records.push(record);
    const killedAt = performance.now();
    await part.kill();
    log(
      `kill ${records.length}: SIGKILL ${planned.target} (pid ${pid}) at ${(record.firedMs / 1000).toFixed(1)} s`,
    );
    const task = recover(record, killedAt);
    // the next kill of this target waits until it is healthy again (not until caught up)
    busy.set(
      planned.target,
      (async () => {
        while (record.healthyMs === undefined && record.error === undefined) await sleep(50);
      })(),
    );
    tasks.push(task);
  }
  await Promise.all(tasks);
  return records;
}
