import fs from 'node:fs/promises';
import path from 'node:path';
import type { EndpointResult } from './compare-endpoints.ts';
import type { ComparisonRecord, ComparisonSource, RouteCounters } from './comparison-store.ts';
import type { FieldDiff } from './diff.ts';

/**
 * The comparison report: per route, how many exchanges were compared and how they came out,
 * the mismatch rate (noise and lag excluded: rate = mismatched / compared), and the most
 * frequent differing fields with an example each. Built from the live store (proxy) or from
 * replay results; rendered as JSON (admin API), markdown and HTML.
 */
export interface FieldCount {
  field: string;
  count: number;
  example: FieldDiff & { request?: string };
}

export interface RouteReport {
  routeId: string;
  counters: RouteCounters;
  compared: number;
  mismatchRate: number;
  topFields: FieldCount[];
  noiseFields: FieldCount[];
}

export interface CompareReport {
  generatedAt: string;
  source: string;
  routes: RouteReport[];
}

function topFields(diffs: { diff: FieldDiff; request: string }[], limit = 10): FieldCount[] {
  const counts = new Map<string, FieldCount>();
  for (const { diff, request } of diffs) {
    const c = counts.get(diff.field);
    if (c) c.count++;
    else counts.set(diff.field, { field: diff.field, count: 1, example: { ...diff, request } });
  }
  return [...counts.values()]
    .sort((a, b) => b.count - a.count || a.field.localeCompare(b.field))
    .slice(0, limit);
}

function routeReport(
  routeId: string,
  counters: RouteCounters,
  records: Pick<ComparisonRecord, 'diffs' | 'noise' | 'request'>[],
): RouteReport {
  // Everything that was actually compared; shed exchanges never were.
  const compared = counters.match + counters.mismatch + counters.noise + counters.lag + counters.error;
  const req = (r: (typeof records)[number]) => `${r.request.method} ${r.request.path}`;
  return {
    routeId,
    counters,
    compared,
    mismatchRate: compared === 0 ? 0 : counters.mismatch / compared,
    topFields: topFields(records.flatMap((r) => r.diffs.map((diff) => ({ diff, request: req(r) })))),
    noiseFields: topFields(records.flatMap((r) => r.noise.map((diff) => ({ diff, request: req(r) })))),
  };
}

export async function reportFromStore(
  store: ComparisonSource,
  source = 'proxy shadow comparisons',
): Promise<CompareReport> {
  const counters = store.counters();
  const records = await store.records();
  const routes = Object.keys(counters)
    .sort()
    .map((id) =>
      routeReport(
        id,
        counters[id]!,
        records.filter((r) => r.routeId === id),
      ),
    );
  return { generatedAt: new Date().toISOString(), source, routes };
}

export function reportFromResults(results: EndpointResult[], source: string): CompareReport {
  const byRoute = new Map<string, EndpointResult[]>();
  for (const r of results) {
    const id = r.request.routeId ?? '(all)';
    byRoute.set(id, [...(byRoute.get(id) ?? []), r]);
  }
  const routes = [...byRoute.keys()].sort().map((id) => {
    const list = byRoute.get(id)!;
    const n = (o: EndpointResult['outcome']) => list.filter((r) => r.outcome === o).length;
    const counters: RouteCounters = {
      match: n('match'),
      mismatch: n('mismatch'),
      noise: n('noise'),
      lag: n('lag'),
      error: n('error'),
      shed: 0,
    };
    return routeReport(
      id,
      counters,
      list.map((r) => ({
        diffs: r.diffs,
        noise: r.noise,
        request: { method: r.request.method, path: r.request.path, headers: {} },
      })),
    );
  });
  return { generatedAt: new Date().toISOString(), source, routes };
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
const show = (v: unknown) => (v === undefined ? '—' : JSON.stringify(v));

export function renderMarkdown(report: CompareReport): string {
  const lines = [
    '# Comparison report',
    '',
    `Generated ${report.generatedAt} from ${report.source}. Mismatch rate = mismatched / compared; noise and lag are reported apart and do not count.`,
    '',
    '| route | compared | matched | mismatched | noise | lag | errors | shed | mismatch rate |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...report.routes.map(
      (r) =>
        `| ${r.routeId} | ${r.compared} | ${r.counters.match} | ${r.counters.mismatch} | ${r.counters.noise} | ${r.counters.lag} | ${r.counters.error} | ${r.counters.shed} | ${pct(r.mismatchRate)} |`,
    ),
  ];
  for (const r of report.routes) {
    lines.push('', `## ${r.routeId}`, '');
    if (r.topFields.length === 0) lines.push('No differing fields.');
    else {
      lines.push('| field | times | example request | legacy | new |', '| --- | ---: | --- | --- | --- |');
      for (const f of r.topFields) {
        lines.push(
          `| \`${f.field}\` (${f.example.kind}) | ${f.count} | ${f.example.request ?? ''} | \`${show(f.example.legacy)}\` | \`${show(f.example.new)}\` |`,
        );
      }
    }
    if (r.noiseFields.length > 0)
      lines.push(
        '',
        `Noise (differs between two legacy answers): ${r.noiseFields.map((f) => `\`${f.field}\``).join(', ')}`,
      );
  }
  return `${lines.join('\n')}\n`;
}

const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

export function renderHtml(report: CompareReport): string {
  const rows = report.routes
    .map(
      (r) =>
        `<tr><td>${esc(r.routeId)}</td><td>${r.compared}</td><td>${r.counters.match}</td><td>${r.counters.mismatch}</td><td>${r.counters.noise}</td><td>${r.counters.lag}</td><td>${r.counters.error}</td><td>${r.counters.shed}</td><td>${pct(r.mismatchRate)}</td></tr>`,
    )
    .join('\n');
  const sections = report.routes
    .map((r) => {
      const fields = r.topFields
        .map(
          (f) =>
            `<tr><td><code>${esc(f.field)}</code> (${f.example.kind})</td><td>${f.count}</td><td>${esc(f.example.request ?? '')}</td><td><code>${esc(show(f.example.legacy))}</code></td><td><code>${esc(show(f.example.new))}</code></td></tr>`,
        )
        .join('\n');
      return `<h2>${esc(r.routeId)}</h2>${fields ? `<table><tr><th>field</th><th>times</th><th>example request</th><th>legacy</th><th>new</th></tr>${fields}</table>` : '<p>No differing fields.</p>'}`;
    })
    .join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><title>Comparison report</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:left}</style></head>
<body><h1>Comparison report</h1><p>Generated ${esc(report.generatedAt)} from ${esc(report.source)}. Mismatch rate = mismatched / compared; noise and lag do not count.</p>
<table><tr><th>route</th><th>compared</th><th>matched</th><th>mismatched</th><th>noise</th><th>lag</th><th>errors</th><th>shed</th><th>mismatch rate</th></tr>
${rows}</table>
${sections}
</body></html>
`;
}

/** Writes `<dir>/<name>.md` and `.html`; returns their paths. */
export async function writeReport(
  report: CompareReport,
  dir: string,
  name = `compare-${report.generatedAt.replace(/[:.]/g, '-')}`,
) {
  await fs.mkdir(dir, { recursive: true });
  const markdown = path.join(dir, `${name}.md`);
  const html = path.join(dir, `${name}.html`);
  await fs.writeFile(markdown, renderMarkdown(report));
  await fs.writeFile(html, renderHtml(report));
  return { markdown, html };
}
