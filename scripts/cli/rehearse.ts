import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { repoRoot } from '../../lib/component-process.ts';
import { type RouteRehearsal, rehearseRoute } from '../rehearsal/engine.ts';
import { formatStage, formatVerdict } from '../rehearsal/format.ts';
import { livePorts } from '../rehearsal/live/live-ports.ts';
import { provenance } from '../rehearsal/provenance.ts';
import { whatNext, writeReport } from '../rehearsal/report.ts';
import { type StageId, stageTitle } from '../rehearsal/stages.ts';
import { loadThresholds, type Thresholds } from '../rehearsal/thresholds.ts';
import { endpointsFor } from '../up/endpoints.ts';
import { duration, wholeNumber } from './options.ts';
import { type Progress, progressBar } from './progress.ts';

const fraction = (name: string) => (value: string) => {
  const n = Number(value.endsWith('%') ? Number(value.slice(0, -1)) / 100 : value);
  if (!Number.isFinite(n) || n < 0 || n > 1)
    throw new Error(`${name} must be a fraction 0..1 or a percentage, e.g. 0.01 or 1%`);
  return n;
};
/** The stages that run for a set time (or up to one), with a progress bar in seconds. */
function timedStages(
  t: Thresholds,
): Partial<Record<StageId, { label: (step?: string) => string; ms: number }>> {
  return {
    0: { label: () => 'legacy baseline', ms: t.canary.stepDurationMs },
    2: { label: () => 'backfill wait', ms: t.backfill.settleTimeoutMs },
    4: { label: (step) => `canary ${step ?? ''}`, ms: t.canary.stepDurationMs },
    5: { label: () => 'cutover bake', ms: t.cutover.bakeMs },
  };
}

const steps = (value: string) => value.split(',').map((s) => Number(s.trim().replace(/%$/, '')));

/** Exit codes: 0 every route migrated; 3 a gate stopped or rolled back a route; 1 the rehearsal could not run. */
export function registerRehearse(program: Command): void {
  program
    .command('rehearse')
    .description(
      'walk a route through legacy → proxy → backfill → shadow → canary → cutover with measured gates; writes a report under reports/',
    )
    .argument('<route>', 'a route id from the proxy route table (products, orders) or "all"')
    .option('--thresholds <file>', 'JSON file with thresholds (see docs/guide.md)')
    .option('--steps <list>', 'canary steps in percent, e.g. 5,25,50', steps)
    .option('--step-duration <time>', 'traffic per canary step, e.g. 15s', duration('--step-duration'))
    .option('--bake <time>', 'cutover bake period with the legacy shadow, e.g. 30s', duration('--bake'))
    .option(
      '--parity-requests <n>',
      'requests compared through the proxy vs direct (stage 1)',
      wholeNumber('--parity-requests', '60', 1),
    )
    .option(
      '--shadow-requests <n>',
      'requests shadowed in stage 3',
      wholeNumber('--shadow-requests', '200', 1),
    )
    .option(
      '--rate <n>',
      'load generator rate during traffic stages (requests/s)',
      wholeNumber('--rate', '40', 1),
    )
    .option('--max-error-rate <x>', 'gate: 5xx/unanswered share, e.g. 1%', fraction('--max-error-rate'))
    .option(
      '--max-mismatch-rate <x>',
      'gate: differing compared answers, e.g. 1%',
      fraction('--max-mismatch-rate'),
    )
    .option(
      '--max-fallback-rate <x>',
      'gate: requests legacy answered for a failed new service, e.g. 1%',
      fraction('--max-fallback-rate'),
    )
    .option('--max-p99-ratio <x>', "gate: route p99 / legacy's p99", Number)
    .option(
      '--min-comparisons <n>',
      'gate: comparisons a mismatch-rate gate needs, else it holds the stage',
      wholeNumber('--min-comparisons', '20', 1),
    )
    .option('--reports <dir>', 'where to write the report', path.join(repoRoot, 'reports'))
    .option('--seed <n>', 'random seed of the generated traffic', wholeNumber('--seed', '1'), 1)
    .action(async (routeArg: string, opts) => {
      const t = await loadThresholds(opts.thresholds, {
        canary: { steps: opts.steps, stepDurationMs: opts.stepDuration },
        cutover: { bakeMs: opts.bake },
        parity: { requests: opts.parityRequests },
        shadow: { requests: opts.shadowRequests },
        traffic: { rate: opts.rate },
        gates: {
          maxErrorRate: opts.maxErrorRate,
          maxMismatchRate: opts.maxMismatchRate,
          maxFallbackRate: opts.maxFallbackRate,
          maxP99Ratio: opts.maxP99Ratio,
          minComparisons: opts.minComparisons,
        },
      });
      const e = endpointsFor();
      const ports = await livePorts(e, process.env, opts.seed);
      const ids = routeArg === 'all' ? ports.routes.map((r) => r.id) : [routeArg];
      for (const id of ids) {
        if (!ports.routes.some((r) => r.id === id)) {
          throw new Error(
            `no route "${id}" in the proxy's route table; routes: ${ports.routes.map((r) => r.id).join(', ')} (or "all")`,
          );
        }
      }
      const startedAt = new Date().toISOString();
      const loadAtStart = os.loadavg();
      const results: RouteRehearsal[] = [];
      let bar: Progress | undefined;
      for (const id of ids) {
        console.log(`\nrehearsing route ${id} (proxy ${e.proxy}, legacy ${e.legacy})`);
        results.push(
          await rehearseRoute(id, ports, t, {
            stageStarted: (route, stage, step) => {
              console.log(`[${route}] ${stageTitle(stage, step)} …`);
              const timed = timedStages(t)[stage];
              // In seconds: the share a canary step serves is in its label already.
              if (timed) bar = progressBar(timed.label(step), Math.ceil(timed.ms / 1000), 's');
            },
            progress: (_route, stage, f) => {
              const timed = timedStages(t)[stage];
              if (timed) bar?.update(Math.round((f * timed.ms) / 1000));
            },
            stageFinished: (route, o) => {
              bar?.stop();
              bar = undefined;
              console.log(formatStage(route, o));
            },
          }),
        );
      }
      const report = await writeReport(
        {
          startedAt,
          finishedAt: new Date().toISOString(),
          system: { proxy: e.proxy, 'proxy admin': e.admin, legacy: e.legacy, brokers: e.brokers },
          provenance: provenance({ seed: opts.seed, loadAtStart }),
          thresholds: t,
          routes: results,
        },
        opts.reports,
      );
      const next = results.flatMap((r) => whatNext(r, e.admin).map((l) => `  ${r.route}: ${l}`));
      console.log(
        `\n${results.map(formatVerdict).join('\n')}${next.length > 0 ? `\nwhat next:\n${next.join('\n')}` : ''}\nreport: ${report.markdown}\n        ${report.html}`,
      );
      if (results.some((r) => r.outcome === 'error')) process.exitCode = 1;
      else if (results.some((r) => r.outcome !== 'migrated')) process.exitCode = 3;
    });
}
