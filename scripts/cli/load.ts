import { type Command, Option } from 'commander';
import { runLoad } from '../load/run-load.ts';
import { defaultMix, type SessionKind } from '../load/sessions.ts';
import { formatLoadSummary, isFailure, summarizeLoad } from '../load/summary.ts';
import { duration, url, wholeNumber } from './options.ts';
import { progressBar } from './progress.ts';

function parseMix(value: string): Partial<Record<SessionKind, number>> {
  const mix: Partial<Record<SessionKind, number>> = {};
  for (const part of value.split(',')) {
    const [kind, weight] = part.split('=');
    if (!kind || !(kind in defaultMix) || weight === undefined || !(Number(weight) >= 0)) {
      throw new Error(
        `--mix must look like browse=45,search=20,buy=20,history=15 (kinds: ${Object.keys(defaultMix).join(', ')}); got "${part}"`,
      );
    }
    mix[kind as SessionKind] = Number(weight);
  }
  return mix;
}

/** `strangler load`: realistic shop sessions against the proxy (or the monolith) for a bounded time. */
export function registerLoad(program: Command): void {
  program
    .command('load')
    .description(
      'generate realistic shop traffic (browse, search, sign up, order, pay, cancel, order history)',
    )
    .option('--target <url>', 'base URL: the proxy or the monolith', url('--target'), 'http://127.0.0.1:8080')
    .addOption(
      // The default shown as a duration, the way the examples spell it (not as 30000 ms).
      new Option('-d, --duration <time>', 'how long to run, e.g. 30s or 2m')
        .argParser(duration('--duration'))
        .default(30_000, '30s'),
    )
    .option(
      '-r, --rate <n>',
      'requests per second across all users (0 = as fast as possible)',
      wholeNumber('--rate', '50'),
      50,
    )
    .option(
      '-c, --concurrency <n>',
      'virtual users at the same time',
      wholeNumber('--concurrency', '8', 1),
      8,
    )
    .option('-n, --requests <n>', 'stop after this many requests', wholeNumber('--requests', '1000', 1))
    .option('--mix <weights>', 'session mix, e.g. browse=45,search=20,buy=20,history=15', parseMix)
    .option('--seed <n>', 'random seed for what the users do', wholeNumber('--seed', '1'), 1)
    .option('--json', 'print the summary as JSON')
    .action(async (opts) => {
      const total =
        opts.requests ?? (opts.rate > 0 ? Math.ceil((opts.rate * opts.duration) / 1000) : undefined);
      const bar = progressBar('load', total ?? Math.ceil(opts.duration / 1000), total ? 'requests' : 's');
      let done = 0;
      let failures = 0;
      const started = Date.now();
      const tick = total
        ? undefined
        : setInterval(
            () =>
              bar.update(Math.floor((Date.now() - started) / 1000), {
                info: `${done} req, ${failures} errors`,
              }),
            500,
          );
      try {
        const result = await runLoad({
          target: opts.target,
          durationMs: opts.duration,
          rate: opts.rate,
          concurrency: opts.concurrency,
          maxRequests: opts.requests,
          seed: opts.seed,
          mix: opts.mix,
          onRecord: (r) => {
            done++;
            if (isFailure(r)) failures++;
            if (total) bar.update(done, { info: `${failures} errors` });
          },
        });
        bar.stop();
        const summary = summarizeLoad(result.records, result.elapsedMs);
        console.log(
          opts.json
            ? JSON.stringify(summary, null, 2)
            : `${formatLoadSummary(summary)}\n\n${result.sessions} sessions against ${opts.target}`,
        );
      } finally {
        if (tick) clearInterval(tick);
        bar.stop();
      }
    });
}
