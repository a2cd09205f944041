import type { Command } from 'commander';
import { endpointsFor } from '../up/endpoints.ts';
import { collectStatus, type SystemStatus } from './status-probe.ts';

const pct = (part: number, whole: number) => (whole > 0 ? `${((part / whole) * 100).toFixed(2)} %` : '-');

export function formatStatus(s: SystemStatus): string {
  const lines = ['component     state  lag       where / detail'];
  for (const c of s.components) {
    const lag = c.lagMs === undefined ? '-' : `${c.lagMs} ms`;
    lines.push(
      `${c.name.padEnd(13)} ${(c.up ? 'up' : 'DOWN').padEnd(6)} ${lag.padEnd(9)} ${c.where}  ${c.detail}`,
    );
  }
  lines.push('', 'route      mode     share  requests  compared  mismatch  fallbacks');
  for (const r of s.routes) {
    const share = r.mode === 'legacy' ? '0 %' : `${r.percent} %`;
    lines.push(
      `${r.route.padEnd(10)} ${(r.mode + (r.applied ? '' : '*')).padEnd(8)} ${share.padStart(5)}  ${String(r.requests).padStart(8)}  ${String(r.compared).padStart(8)}  ${pct(r.mismatches, r.compared).padStart(8)}  ${String(r.fallbacks).padStart(9)}`,
    );
  }
  if (s.routes.some((r) => !r.applied))
    lines.push('* stored flag not yet picked up by the proxy (it polls about once a second)');
  if (s.problems.length > 0) lines.push('', ...s.problems.map((p) => `! ${p}`));
  return lines.join('\n');
}

/** `strangler status`: every component's health, each route's mode and share, CDC lag, mismatch rates. */
export function registerStatus(program: Command): void {
  program
    .command('status')
    .description("every component's health, each route's mode and share, CDC lag and mismatch rates")
    .option('--json', 'print the status as JSON')
    .action(async (opts) => {
      const s = await collectStatus(endpointsFor());
      console.log(opts.json ? JSON.stringify(s, null, 2) : formatStatus(s));
      if (s.problems.length > 0) process.exitCode = 1;
    });
}
