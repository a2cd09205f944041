import fs from 'node:fs/promises';
import path from 'node:path';
import type { RouteRehearsal, StageOutcome } from './engine.ts';
import { formatVerdict } from './format.ts';
import { formatValue } from './gates.ts';
import { routeCharts } from './report-charts.ts';
import { stageTitle } from './stages.ts';
import type { Thresholds } from './thresholds.ts';

export interface RehearsalReport {
  startedAt: string;
  finishedAt: string;
  /** Where the rehearsal ran: proxy, legacy and service URLs. */
  system: Record<string, string>;
  /** What the figures came from, so two reports can be compared: commit, seed, load, machine. */
  provenance?: Record<string, string>;
  thresholds: Thresholds;
  routes: RouteRehearsal[];
}

/**
 * What to do after a route stopped or rolled back, by the gate that stopped it: where to look
 * and what to run next. Said in the report and the terminal, so a failed rehearsal ends with a
 * next step rather than a red word.
 */
export function whatNext(r: RouteRehearsal, adminUrl?: string): string[] {
  if (!r.failure) return [];
  const route = r.route;
  const records = adminUrl ? ` (or ${adminUrl}/compare/records?route=${route})` : '';
  const byGate: Record<string, string[]> = {
    'error rate': [
      `Read the new service's log around the failed window, and the differing answers: npx strangler compare report${records}.`,
    ],
    'p99 latency': [
      'Check whether the new side or the machine was slow: npx strangler status (CDC lag, breakers), and the per-side figures in the table above.',
    ],
    'mismatch rate': [
      `See which fields differ: npx strangler compare report${records}. A difference that is noise (a timestamp, an order) belongs in the route's compare rules; a real one is a bug in the new service.`,
    ],
    'row parity': [
      'The service store does not match legacy: npx strangler status shows the CDC lag; a row that never arrives points at the connector or the projection.',
    ],
  };
  const specific = Object.entries(byGate).find(([gate]) => r.failure!.gate.includes(gate))?.[1] ?? [
    `Fix what the gate "${r.failure.gate}" names (${r.failure.why}).`,
  ];
  return [
    ...specific,
    r.rolledBackTo
      ? `The route is on ${r.rolledBackTo} again; once fixed, run npx strangler rehearse ${route} again.`
      : `Once fixed, run npx strangler rehearse ${route} again.`,
  ];
}

const seconds = (ms: number) => (ms >= 10_000 ? `${Math.round(ms / 1000)} s` : `${(ms / 1000).toFixed(1)} s`);

/** Each stage that ran and how long it took, for both renderings. */
function durations(route: RouteRehearsal): [string, string, string][] {
  return route.stages
    .filter((s) => s.status !== 'skipped')
    .map((s) => [stageTitle(s.stage, s.step), s.status, seconds(s.ms)]);
}

const gateCmp = (unit: string) => (unit === 'requests' ? '≥' : '≤');

function stageMarkdown(o: StageOutcome): string[] {
  const lines = [`### ${stageTitle(o.stage, o.step)} — ${o.status}`, ''];
  if (o.status === 'skipped') return [...lines, 'Not reached.', ''];
  if (o.gates.length > 0) {
    lines.push('| gate | value | limit | result |', '| --- | --- | --- | --- |');
    for (const g of o.gates) {
      lines.push(
        `| ${g.gate} | ${formatValue(g.value, g.unit)} | ${gateCmp(g.unit)} ${formatValue(g.limit, g.unit)} | ${g.verdict === 'pass' ? 'pass' : g.verdict === 'hold' ? `**HOLD**: ${g.why}` : `**FAIL**: ${g.why}`} |`,
      );
    }
    lines.push('');
  }
  const figures = Object.entries(o.figures);
  if (figures.length > 0) lines.push(figures.map(([k, v]) => `${k}: **${v}**`).join(' · '), '');
  for (const n of o.notes) lines.push(`- ${n}`);
  if (o.notes.length > 0) lines.push('');
  return lines;
}

export function reportMarkdown(r: RehearsalReport): string {
  const lines = [
    '# Migration rehearsal report',
    '',
    `Started ${r.startedAt}, finished ${r.finishedAt}.`,
    '',
    '## Verdict',
    '',
    ...r.routes.map((x) => `- ${formatVerdict(x)}`),
    '',
    '## System',
    '',
    ...Object.entries(r.system).map(([k, v]) => `- ${k}: ${v}`),
    '',
  ];
  for (const route of r.routes) {
    lines.push(`## Route \`${route.route}\`: ${route.outcome}`, '');
    if (route.failure) {
      const where = stageTitle(route.failure.stage, route.failure.step);
      lines.push(
        route.outcome === 'error'
          ? `Could not complete ${where}: ${route.failure.why}.`
          : route.outcome === 'held'
            ? `Held at ${where}: gate **${route.failure.gate}** had not enough evidence — ${route.failure.why}. The route stays at this stage.`
            : `Stopped at ${where}: gate **${route.failure.gate}** failed — ${route.failure.why}.`,
      );
      if (route.rolledBackTo) lines.push(`Traffic was rolled back to ${route.rolledBackTo} automatically.`);
      lines.push(
        '',
        '**What next**',
        '',
        ...whatNext(route, r.system['proxy admin']).map((l) => `- ${l}`),
        '',
      );
    }
    lines.push('| stage | result | took |', '| --- | --- | --- |');
    for (const [stage, status, took] of durations(route)) lines.push(`| ${stage} | ${status} | ${took} |`);
    lines.push('');
    for (const s of route.stages) lines.push(...stageMarkdown(s));
  }
  if (r.provenance) {
    lines.push('## Provenance', '', ...Object.entries(r.provenance).map(([k, v]) => `- ${k}: ${v}`), '');
  }
  lines.push('## Thresholds', '', '```json', JSON.stringify(r.thresholds, null, 2), '```', '');
  return lines.join('\n');
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** The same report as a self-contained page (no scripts, no external assets). */
export function reportHtml(r: RehearsalReport): string {
  const stage = (o: StageOutcome) => {
    const gates = o.gates
      .map(
        (g) =>
          `<tr class="${g.verdict}"><td>${esc(g.gate)}</td><td>${esc(formatValue(g.value, g.unit))}</td><td>${gateCmp(g.unit)} ${esc(formatValue(g.limit, g.unit))}</td><td>${g.verdict === 'pass' ? 'pass' : `${g.verdict.toUpperCase()}: ${esc(g.why ?? '')}`}</td></tr>`,
      )
      .join('');
    const figures = Object.entries(o.figures)
      .map(([k, v]) => `<span>${esc(k)}: <b>${esc(String(v))}</b></span>`)
      .join(' · ');
    const notes = o.notes.map((n) => `<li>${esc(n)}</li>`).join('');
    return `<section class="stage ${o.status}"><h3>${esc(stageTitle(o.stage, o.step))} — ${o.status}</h3>${
      gates ? `<table><tr><th>gate</th><th>value</th><th>limit</th><th>result</th></tr>${gates}</table>` : ''
    }${figures ? `<p>${figures}</p>` : ''}${notes ? `<ul>${notes}</ul>` : ''}</section>`;
  };
  const routes = r.routes
    .map((x) => {
      const next = whatNext(x, r.system['proxy admin']);
      const nextHtml =
        next.length > 0
          ? `<div class="next"><b>What next</b><ul>${next.map((l) => `<li>${esc(l)}</li>`).join('')}</ul></div>`
          : '';
      const took = durations(x)
        .map(
          ([stage, status, t]) =>
            `<tr class="${status === 'failed' ? 'fail' : 'pass'}"><td>${esc(stage)}</td><td>${status}</td><td>${t}</td></tr>`,
        )
        .join('');
      return `<h2>Route <code>${esc(x.route)}</code>: <span class="${x.outcome}">${x.outcome}</span></h2><p>${esc(formatVerdict(x))}</p>${nextHtml}${routeCharts(x)}<table><tr><th>stage</th><th>result</th><th>took</th></tr>${took}</table>${x.stages.map(stage).join('')}`;
    })
    .join('');
  const provenance = r.provenance
    ? `<h2>Provenance</h2><ul>${Object.entries(r.provenance)
        .map(([k, v]) => `<li>${esc(k)}: ${esc(v)}</li>`)
        .join('')}</ul>`
    : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Migration rehearsal report</title>
<style>
body{font:14px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}
tr.fail td{background:#fde2e2}tr.hold td{background:#fdf3d8}tr.pass td:last-child{color:#176b2c}
.stage{border-left:4px solid #ccc;padding-left:1em;margin:1em 0}.stage.passed{border-color:#2e9e4f}.stage.failed{border-color:#d33}.stage.held{border-color:#d9a400}.stage.skipped{opacity:.6}
.next{background:#fff6e0;border:1px solid #e6c36a;padding:.5em 1em;margin:.5em 0}.chart{margin:.5em 0}
.migrated{color:#176b2c}.rolled-back,.stopped,.error{color:#b00}.held{color:#8a6d00}pre{background:#f6f6f6;padding:1em;overflow:auto}
</style></head><body>
<h1>Migration rehearsal report</h1>
<p>Started ${esc(r.startedAt)}, finished ${esc(r.finishedAt)}.</p>
<ul>${Object.entries(r.system)
    .map(([k, v]) => `<li>${esc(k)}: ${esc(v)}</li>`)
    .join('')}</ul>
${routes}
${provenance}
<h2>Thresholds</h2><pre>${esc(JSON.stringify(r.thresholds, null, 2))}</pre>
</body></html>
`;
}

/** Writes reports/rehearsal-<time>.md and .html; returns both paths. */
export async function writeReport(
  r: RehearsalReport,
  dir: string,
): Promise<{ markdown: string; html: string }> {
  await fs.mkdir(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const base = path.join(dir, `rehearsal-${r.routes.map((x) => x.route).join('-')}-${stamp}`);
  await fs.writeFile(`${base}.md`, reportMarkdown(r));
  await fs.writeFile(`${base}.html`, reportHtml(r));
  return { markdown: `${base}.md`, html: `${base}.html` };
}
