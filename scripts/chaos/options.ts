import { ChaosError } from './errors.ts';

/** Components the run may SIGKILL, in the order `npm start` starts them. */
export const killableTargets = ['broker', 'monolith', 'connector', 'catalog', 'orders'] as const;
export type Target = (typeof killableTargets)[number];

export interface ChaosOptions {
  /** How long the write load runs. */
  durationMs: number;
  /** Writes per second, spread evenly (the load is bounded: at most rate × duration writes). */
  rate: number;
  /** SIGKILLs during the load, at seeded random moments. */
  kills: number;
  /** Seed of the random source: kill moments, targets and the writes themselves. */
  seed: number;
  /** Which components may be killed. */
  targets: Target[];
  /** Size of the seeded shop, as a factor of the default seed (1 = 10 000 products). */
  seedScale: number;
  /** Writes in flight at most. */
  concurrency: number;
  /** How long the stores get to catch up after the load (and each kill to recover). */
  catchUpTimeoutMs: number;
  /** A MySQL/MariaDB server URL (ROW binlog); unset: the toolkit's private MariaDB for chaos runs. */
  mysqlUrl?: string;
  /** Keep the run's databases and data folder afterwards (for a look at a failed run). */
  keep: boolean;
  /** Progress lines as the run goes (kills, restarts, catch-up). */
  log?: (line: string) => void;
  /** Aborted (Ctrl-C): the load and the kills stop, everything started is stopped and dropped. */
  signal?: AbortSignal;
}

export const chaosDefaults = {
  durationMs: 200_000,
  rate: 150,
  kills: 24,
  seed: 1,
  targets: ['broker', 'connector', 'catalog', 'orders'] as Target[],
  seedScale: 0.1,
  concurrency: 32,
  catchUpTimeoutMs: 120_000,
  keep: false,
} satisfies Omit<ChaosOptions, 'log' | 'signal'>;

/** Minimum time between two kills on average, so each can be told apart and recovered from. */
export const minMsPerKill = 2000;

/** Parses `broker,connector` into targets; unknown names are reported by validateChaosOptions. */
export function parseTargets(value: string): string[] {
  return value
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

/** Every problem at once, each naming the option and a valid value. */
export function validateChaosOptions(o: Omit<ChaosOptions, 'targets'> & { targets: string[] }): ChaosOptions {
  const problems: string[] = [];
  if (!(o.durationMs >= 5000 && o.durationMs <= 3_600_000))
    problems.push(`--duration must be between 5s and 60m (got ${o.durationMs} ms)`);
  if (!(Number.isFinite(o.rate) && o.rate >= 1 && o.rate <= 2000))
    problems.push(`--rate must be 1..2000 writes/s (got ${o.rate})`);
  if (!Number.isInteger(o.kills) || o.kills < 0)
    problems.push(`--kills must be a whole number ≥ 0 (got ${o.kills})`);
  else if (o.kills * minMsPerKill > o.durationMs * 0.7)
    problems.push(
      `--kills ${o.kills} do not fit in ${o.durationMs / 1000} s: kills happen in the middle 70 % of the load, at most one per ${minMsPerKill / 1000} s on average (at most ${Math.floor((o.durationMs * 0.7) / minMsPerKill)} here)`,
    );
  if (!Number.isInteger(o.seed) || o.seed < 0 || o.seed > 0xffffffff)
    problems.push(`--seed must be a whole number 0..4294967295 (got ${o.seed})`);
  const unknown = o.targets.filter((t) => !(killableTargets as readonly string[]).includes(t));
  if (unknown.length > 0)
    problems.push(`--targets: unknown ${unknown.join(', ')}; choose from ${killableTargets.join(', ')}`);
  if (new Set(o.targets).size !== o.targets.length) problems.push('--targets names a component twice');
  if (o.kills > 0 && o.targets.length === 0) problems.push('--targets is empty but --kills is above 0');
  if (!(o.seedScale >= 0.01 && o.seedScale <= 2))
    problems.push(`--seed-scale must be 0.01..2 (got ${o.seedScale})`);
  if (!Number.isInteger(o.concurrency) || o.concurrency < 1 || o.concurrency > 256)
    problems.push(`--concurrency must be a whole number 1..256 (got ${o.concurrency})`);
  if (!(o.catchUpTimeoutMs >= 1000))
    problems.push(`--catch-up-timeout must be ≥ 1s (got ${o.catchUpTimeoutMs} ms)`);
  if (o.mysqlUrl !== undefined) {
    let host = '';
    try {
      const u = new URL(o.mysqlUrl);
      if (u.protocol !== 'mysql:') throw new Error('protocol');
      host = u.hostname;
    } catch {
      problems.push('--mysql-url must be a mysql:// URL such as mysql://root@127.0.0.1:3307');
    }
    if (host && host !== '127.0.0.1' && host !== 'localhost')
      problems.push(
        `--mysql-url must point at this machine (127.0.0.1), got ${host}: the run writes only locally`,
      );
  }
  if (problems.length > 0)
    throw new ChaosError('CHAOS_ERR_BAD_OPTIONS', `invalid chaos options:\n  - ${problems.join('\n  - ')}`);
  return o as ChaosOptions;
}
