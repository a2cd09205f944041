import type { RouteRehearsal, StageOutcome } from './engine.ts';
import { stageTitle } from './stages.ts';

/**
 * Inline SVG charts for the HTML report (no scripts, no external assets, so the page opens
 * anywhere and can be attached to a ticket). A person reads the shape faster than the tables:
 * each serving step's p99 against its limit, the mismatch rate per step, and the share the new
 * side served over the rehearsal's time.
 */
const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

interface Bar {
  label: string;
  value: number;
  /** Drawn as a red tick across the bar. */
  limit?: number;
  failed?: boolean;
}

const width = 640;
const height = 180;
const pad = { left: 56, right: 12, top: 24, bottom: 36 };

export function barChart(title: string, bars: Bar[], format: (v: number) => string): string {
  if (bars.length === 0) return '';
  const max = Math.max(...bars.flatMap((b) => [b.value, b.limit ?? 0]), 1e-9) * 1.15;
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const slot = plotW / bars.length;
  const y = (v: number) => pad.top + plotH - (v / max) * plotH;
  const parts = bars.map((b, i) => {
    const x = pad.left + i * slot + slot * 0.2;
    const w = slot * 0.6;
    const bar = `<rect x="${x.toFixed(1)}" y="${y(b.value).toFixed(1)}" width="${w.toFixed(1)}" height="${(pad.top + plotH - y(b.value)).toFixed(1)}" fill="${b.failed ? '#d33' : '#4a7bd0'}"><title>${esc(`${b.label}: ${format(b.value)}${b.limit === undefined ? '' : ` (limit ${format(b.limit)})`}`)}</title></rect>`;
    const limit =
      b.limit === undefined
        ? ''
        : `<line x1="${(x - 4).toFixed(1)}" x2="${(x + w + 4).toFixed(1)}" y1="${y(b.limit).toFixed(1)}" y2="${y(b.limit).toFixed(1)}" stroke="#b00" stroke-width="2" stroke-dasharray="4 2"/>`;
    const label = `<text x="${(x + w / 2).toFixed(1)}" y="${height - pad.bottom + 14}" text-anchor="middle">${esc(b.label)}</text>`;
    const value = `<text x="${(x + w / 2).toFixed(1)}" y="${(y(b.value) - 4).toFixed(1)}" text-anchor="middle">${esc(format(b.value))}</text>`;
    return bar + limit + label + value;
  });
  return svg(title, `${axis(plotH)}${parts.join('')}`);
}

/** The share served by new, step by step over the rehearsal's time (a step function). */
export function shareChart(
  title: string,
  steps: { atMs: number; share: number; label: string }[],
  endMs: number,
): string {
  if (steps.length === 0 || endMs <= 0) return '';
  const plotW = width - pad.left - pad.right;
  const plotH = height - pad.top - pad.bottom;
  const x = (ms: number) => pad.left + (ms / endMs) * plotW;
  const y = (share: number) => pad.top + plotH - (share / 100) * plotH;
  let d = `M${x(0).toFixed(1)},${y(0).toFixed(1)}`;
  for (const s of steps) d += ` H${x(s.atMs).toFixed(1)} V${y(s.share).toFixed(1)}`;
  d += ` H${x(endMs).toFixed(1)}`;
  const marks = steps
    .map(
      (s) =>
        `<circle cx="${x(s.atMs).toFixed(1)}" cy="${y(s.share).toFixed(1)}" r="3" fill="#4a7bd0"><title>${esc(`${s.label} at ${Math.round(s.atMs / 1000)} s`)}</title></circle>`,
    )
    .join('');
  const ticks = [0, 50, 100]
    .map((p) => `<text x="${pad.left - 6}" y="${(y(p) + 4).toFixed(1)}" text-anchor="end">${p} %</text>`)
    .join('');
  const time = `<text x="${width - pad.right}" y="${height - pad.bottom + 14}" text-anchor="end">${Math.round(endMs / 1000)} s</text><text x="${pad.left}" y="${height - pad.bottom + 14}">0 s</text>`;
  return svg(
    title,
    `${axis(plotH)}${ticks}${time}<path d="${d}" fill="none" stroke="#4a7bd0" stroke-width="2"/>${marks}`,
  );
}

function axis(plotH: number): string {
  return `<line x1="${pad.left}" x2="${pad.left}" y1="${pad.top}" y2="${pad.top + plotH}" stroke="#999"/><line x1="${pad.left}" x2="${width - pad.right}" y1="${pad.top + plotH}" y2="${pad.top + plotH}" stroke="#999"/>`;
}

function svg(title: string, body: string): string {
  return `<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}" font-size="11" font-family="system-ui,sans-serif"><text x="${pad.left}" y="14" font-weight="600">${esc(title)}</text>${body}</svg></figure>`;
}

const servingStages = (r: RouteRehearsal) =>
  r.stages.filter((s) => (s.stage === 4 || s.stage === 5) && s.status !== 'skipped');

const gateOf = (s: StageOutcome, name: string) => s.gates.find((g) => g.gate === name);

/** The charts of one route: p99 against its limit and the mismatch rate per serving step, the share over time. */
export function routeCharts(r: RouteRehearsal): string {
  const serving = servingStages(r);
  const p99 = barChart(
    'p99 per step against its limit (dashed)',
    serving.flatMap((s) => {
      const g = gateOf(s, 'p99 latency');
      return g
        ? [{ label: stageTitle(s.stage, s.step), value: g.value, limit: g.limit, failed: !g.pass }]
        : [];
    }),
    (v) => `${Math.round(v)} ms`,
  );
  const mismatches = barChart(
    'mismatch rate per step against its limit (dashed)',
    serving.flatMap((s) => {
      const g = gateOf(s, 'mismatch rate');
      return g
        ? [{ label: stageTitle(s.stage, s.step), value: g.value, limit: g.limit, failed: !g.pass }]
        : [];
    }),
    (v) => `${(v * 100).toFixed(2)} %`,
  );
  // time: every stage in order, each its duration; the share changes when a serving stage starts
  let at = 0;
  const steps: { atMs: number; share: number; label: string }[] = [];
  for (const s of r.stages) {
    if (s.status === 'skipped') continue;
    const share = s.stage === 5 ? 100 : s.stage === 4 ? Number.parseFloat(s.step ?? '0') : undefined;
    if (share !== undefined) steps.push({ atMs: at, share, label: stageTitle(s.stage, s.step) });
    at += s.ms;
  }
  if (r.rolledBackTo) steps.push({ atMs: at, share: 0, label: 'rolled back' });
  return p99 + mismatches + shareChart('share served by the new side over time', steps, at);
}
