import type { RouteRehearsal, StageOutcome } from './engine.ts';
import { formatValue } from './gates.ts';
import { stageTitle } from './stages.ts';

/** Console lines for one finished stage: a verdict line, its gates, its figures. */
export function formatStage(route: string, o: StageOutcome): string {
  const mark =
    o.status === 'passed' ? 'PASS' : o.status === 'failed' ? 'FAIL' : o.status === 'held' ? 'HOLD' : 'skip';
  const lines = [`[${route}] ${stageTitle(o.stage, o.step)} — ${mark} (${(o.ms / 1000).toFixed(1)} s)`];
  for (const g of o.gates) {
    const cmp = g.unit === 'requests' && g.gate !== 'error rate' ? '≥' : '≤';
    lines.push(
      `    ${g.verdict === 'pass' ? '✓' : g.verdict === 'hold' ? '…' : '✗'} ${g.gate.padEnd(18)} ${formatValue(g.value, g.unit).padStart(10)}  (${cmp} ${formatValue(g.limit, g.unit)})`,
    );
    if (g.why) lines.push(`      ${g.why}`);
  }
  const figures = Object.entries(o.figures).map(([k, v]) => `${k}: ${v}`);
  if (figures.length > 0) lines.push(`    ${figures.join(' · ')}`);
  for (const note of o.notes.slice(0, 5)) lines.push(`    note: ${note}`);
  return lines.join('\n');
}

export function formatVerdict(r: RouteRehearsal): string {
  if (r.outcome === 'migrated') return `[${r.route}] migrated: the new service serves 100 % of the route`;
  const f = r.failure!;
  const where = stageTitle(f.stage, f.step);
  const back = r.rolledBackTo ? '; traffic rolled back to legacy' : '';
  if (r.outcome === 'error') return `[${r.route}] could not complete ${where}: ${f.why}${back}`;
  if (r.outcome === 'held')
    return `[${r.route}] held at ${where}: gate "${f.gate}" had not enough evidence — ${f.why}; the route stays at this stage`;
  return `[${r.route}] ${r.outcome} at ${where}: gate "${f.gate}" failed — ${f.why}${back}`;
}
