import { Command, InvalidArgumentError } from 'commander';
import { ToolkitError } from '../../lib/errors.ts';
import { duration, positiveNumber, wholeNumber } from '../cli/options.ts';
import { runChaos } from './chaos.ts';
import { formatChaosReport } from './format.ts';
import { chaosDefaults, killableTargets, parseTargets, validateChaosOptions } from './options.ts';

/**
 * `npm run chaos`: the fault-injection run (docs/chaos.md). Exit codes: 0 the stores matched
 * legacy and every kill recovered; 1 a loss, wrong row, duplicate effect or unrecovered kill;
 * 2 the run could not start (bad options, a part that would not start).
 */
const program = new Command('chaos')
  // a bad option is exit 2 like every other reason the run could not start (help stays 0)
  .exitOverride((err) => process.exit(err.exitCode === 0 ? 0 : 2))
  .description(
    'start the toolkit as processes, write to the shop while SIGKILLing components at seeded random moments, then check the stores against legacy row by row',
  )
  .option(
    '--duration <time>',
    'how long the write load runs, e.g. 200s or 3m',
    duration('--duration'),
    chaosDefaults.durationMs,
  )
  .option(
    '--rate <n>',
    'writes per second (bounded: at most rate × duration writes)',
    positiveNumber('--rate', '150'),
    chaosDefaults.rate,
  )
  .option('--kills <n>', 'SIGKILLs during the load', wholeNumber('--kills', '24'), chaosDefaults.kills)
  .option(
    '--seed <n>',
    'seed of the kill plan and the writes; the same seed repeats the plan',
    wholeNumber('--seed', '1'),
    chaosDefaults.seed,
  )
  .option(
    '--targets <list>',
    `components that may be killed, comma-separated, from ${killableTargets.join(', ')}`,
    (v: string) => {
      const list = parseTargets(v);
      if (list.length === 0)
        throw new InvalidArgumentError(`--targets needs at least one of ${killableTargets.join(', ')}`);
      return list;
    },
    chaosDefaults.targets,
  )
  .option(
    '--seed-scale <x>',
    'size of the seeded shop (1 = 10 000 products)',
    positiveNumber('--seed-scale', '0.1'),
    chaosDefaults.seedScale,
  )
  .option(
    '--concurrency <n>',
    'writes in flight at most',
    wholeNumber('--concurrency', '32', 1),
    chaosDefaults.concurrency,
  )
  .option(
    '--catch-up-timeout <time>',
    'how long the stores (and each kill) get to catch up',
    duration('--catch-up-timeout'),
    chaosDefaults.catchUpTimeoutMs,
  )
  .option(
    '--mysql-url <url>',
    "a local MySQL/MariaDB server with a ROW binlog (default: the toolkit's private MariaDB for chaos runs)",
  )
  .option('--keep', "keep the run's databases and data folder afterwards", false)
  .action(async (opts) => {
    const log = (line: string) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
    const interrupt = new AbortController();
    for (const signal of ['SIGINT', 'SIGTERM'] as const)
      process.once(signal, () => {
        log(`${signal}: stopping the load and the kills, then everything the run started`);
        interrupt.abort();
      });
    let options: ReturnType<typeof validateChaosOptions>;
    try {
      options = validateChaosOptions({
        durationMs: opts.duration,
        rate: opts.rate,
        kills: opts.kills,
        seed: opts.seed,
        targets: opts.targets,
        seedScale: opts.seedScale,
        concurrency: opts.concurrency,
        catchUpTimeoutMs: opts.catchUpTimeout,
        mysqlUrl: opts.mysqlUrl,
        keep: opts.keep,
        log,
        signal: interrupt.signal,
      });
    } catch (err) {
      console.error((err as Error).message);
      process.exit(2);
    }
    const result = await runChaos(options);
    console.log(`\n${formatChaosReport(result)}`);
    process.exit(result.passed ? 0 : 1);
  });

program.parseAsync().catch((err) => {
  console.error(err instanceof ToolkitError ? `${err.code}: ${err.message}` : err);
  process.exit(2);
});
