import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { type Cluster, type Crash, startCluster } from './cluster.ts';
import { ChaosError } from './errors.ts';
import { type KillRecord, planKills, runKills } from './kills.ts';
import { type ChaosOptions, validateChaosOptions } from './options.ts';
import { type Verification, verify } from './verify.ts';
import { runWriteLoad, type WriteLedger } from './writes.ts';

export interface ChaosResult {
  options: Omit<ChaosOptions, 'log' | 'signal'>;
  /** Where the run's data was (dropped afterwards unless `keep`). */
  cluster: Pick<Cluster, 'serverUrl' | 'databases' | 'urls' | 'dataDir'>;
  writes: WriteLedger;
  kills: KillRecord[];
  /** Components that exited without being killed (restarted by the run, reported, not judged). */
  crashes: Crash[];
  verification: Verification;
  /** Every kill's component healthy again and caught up. */
  recovered: boolean;
  /** No loss, no wrong row, no duplicate effect, every kill recovered, the stores caught up. */
  passed: boolean;
}

/**
 * The fault-injection run: starts the toolkit's parts as processes, sends a bounded write load
 * to the shop while SIGKILLing components at seeded random moments (restarting each itself),
 * then waits for the stores to catch up and checks them against legacy row by row.
 */
export async function runChaos(input: ChaosOptions): Promise<ChaosResult> {
  const options = validateChaosOptions(input);
  const log = options.log ?? (() => {});
  const cluster = await startCluster({ mysqlUrl: options.mysqlUrl, seedScale: options.seedScale, log });
  const shop = createMysqlKnex(cluster.serverUrl, cluster.databases.shop, { min: 0, max: 2 });
  try {
    const [[facts]] = (await shop.raw(
      'SELECT (SELECT MAX(id) FROM products) AS p, (SELECT MAX(id) FROM users) AS u',
    )) as [[{ p: number; u: number }]];
    const plan = planKills(options.seed, options.kills, options.durationMs, options.targets);
    log(
      `load: ${options.rate} writes/s for ${options.durationMs / 1000} s; ${plan.length} kills planned (seed ${options.seed})`,
    );
    const startedAt = performance.now();
    const [writes, kills] = await Promise.all([
      runWriteLoad({
        target: cluster.urls.legacy,
        durationMs: options.durationMs,
        rate: options.rate,
        concurrency: options.concurrency,
        seed: options.seed,
        maxProductId: Number(facts.p),
        maxUserId: Number(facts.u),
        signal: options.signal,
      }),
      runKills({
        cluster,
        shop,
        plan,
        startedAt,
        catchUpTimeoutMs: options.catchUpTimeoutMs,
        log,
        signal: options.signal,
      }),
    ]);
    if (options.signal?.aborted)
      throw new ChaosError('CHAOS_ERR_INTERRUPTED', 'interrupted: the run stopped before its checks');
    log(`load done: ${Object.values(writes.acknowledged).reduce((a, b) => a + b, 0)} writes acknowledged`);
    const verification = await verify({
      cluster,
      acknowledgedOrders: writes.orders,
      catchUpTimeoutMs: options.catchUpTimeoutMs,
      log,
    });
    const recovered = kills.every((k) => k.caughtUpMs !== undefined && k.error === undefined);
    const passed =
      recovered &&
      verification.catchUpMs !== undefined &&
      verification.lost === 0 &&
      verification.wrong === 0 &&
      verification.duplicates === 0;
    const { log: _log, signal: _signal, ...shown } = options;
    const { serverUrl, databases, urls, dataDir } = cluster;
    const crashes = [...cluster.parts.values()]
      .flatMap((p) => p.crashes)
      .map((c) => ({ ...c, at: Math.round(c.at - startedAt) }))
      .sort((a, b) => a.at - b.at);
    return {
      options: shown,
      cluster: { serverUrl, databases, urls, dataDir },
      writes,
      kills,
      crashes,
      verification,
      recovered,
      passed,
    };
  } finally {
    await shop.destroy();
    await cluster.stop({ keep: options.keep });
  }
}
