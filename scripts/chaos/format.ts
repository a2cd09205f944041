import { roundMs } from '../load/latency.ts';
import type { ChaosResult } from './chaos.ts';
import { type WriteKind, writeKinds } from './writes.ts';

const s = (ms: number | undefined) => (ms === undefined ? '—' : `${(ms / 1000).toFixed(1)} s`);
const total = (r: Record<WriteKind, number>) => writeKinds.reduce((n, k) => n + r[k], 0);

function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** The run's report as printed: writes, kills with recovery times, parity, verdict. */
export function formatChaosReport(r: ChaosResult): string {
  const { writes, kills, verification: v } = r;
  const lines: string[] = [];
  const o = r.options;
  lines.push(
    `chaos run: ${o.rate} writes/s for ${o.durationMs / 1000} s, ${o.kills} kills of ${o.targets.join(', ')}, seed ${o.seed}`,
  );
  lines.push('');
  lines.push(
    `writes sent ${total(writes.sent)} in ${s(writes.elapsedMs)}: acknowledged ${total(writes.acknowledged)}, refused ${total(writes.refused)} (4xx), failed ${total(writes.failed)} (5xx or no answer)`,
  );
  lines.push(
    `  achieved ${(total(writes.sent) / (writes.elapsedMs / 1000)).toFixed(1)} writes/s of ${o.rate} asked (answer time p50 ${roundMs(writes.latency.percentile(50))} ms, p99 ${roundMs(writes.latency.percentile(99))} ms, max ${roundMs(writes.latency.percentile(100))} ms)`,
  );
  for (const k of writeKinds) {
    lines.push(
      `  ${k.padEnd(8)} sent ${String(writes.sent[k]).padStart(6)}  acknowledged ${String(writes.acknowledged[k]).padStart(6)}  refused ${String(writes.refused[k]).padStart(5)}  failed ${String(writes.failed[k]).padStart(5)}`,
    );
  }
  lines.push('');
  lines.push(`kills: ${kills.length}`);
  lines.push('   #  target     at       pid      healthy   caught up');
  kills.forEach((k, i) => {
    lines.push(
      `  ${String(i + 1).padStart(2)}  ${k.target.padEnd(9)}  ${s(k.firedMs).padStart(7)}  ${String(k.pid).padStart(7)}  ${s(k.healthyMs).padStart(8)}  ${s(k.caughtUpMs).padStart(9)}${k.error ? `  ${k.error}` : ''}`,
    );
  });
  const healthy = kills.flatMap((k) => (k.healthyMs === undefined ? [] : [k.healthyMs]));
  const caught = kills.flatMap((k) => (k.caughtUpMs === undefined ? [] : [k.caughtUpMs]));
  if (kills.length > 0) {
    lines.push(
      `  recovery: healthy p50 ${s(percentile(healthy, 50))}, max ${s(percentile(healthy, 100))}; caught up p50 ${s(percentile(caught, 50))}, max ${s(percentile(caught, 100))}; ${caught.length}/${kills.length} recovered`,
    );
  }
  if (r.crashes.length > 0) {
    lines.push(`unexpected exits (not killed by the run; restarted): ${r.crashes.length}`);
    for (const c of r.crashes) {
      lines.push(`  ${c.name} at ${s(c.at)}: ${c.exit}`);
      for (const l of c.lastOutput.split('\n').filter(Boolean).slice(-3))
        lines.push(`    | ${l.slice(0, 200)}`);
    }
  } else lines.push('unexpected exits (not killed by the run): 0');
  lines.push('');
  lines.push(
    `stores caught up ${s(v.catchUpMs)} after the load${v.catchUpMs === undefined ? ' (timed out)' : ''}`,
  );
  lines.push('  store    table        legacy   store  missing  different  extra');
  for (const t of v.tables) {
    lines.push(
      `  ${t.store.padEnd(7)}  ${t.table.padEnd(11)}  ${String(t.legacyRows).padStart(6)}  ${String(t.serviceRows).padStart(6)}  ${String(t.missing).padStart(7)}  ${String(t.different).padStart(9)}  ${String(t.extra).padStart(5)}`,
    );
  }
  lines.push(
    `  acknowledged orders checked line by line: ${v.orders.checked} (missing in legacy ${v.orders.lostInLegacy}, applied twice ${v.orders.doubled})`,
  );
  lines.push('');
  lines.push(`lost rows:         ${v.lost}`);
  lines.push(`wrong rows:        ${v.wrong}`);
  lines.push(`duplicate effects: ${v.duplicates}`);
  for (const e of v.examples) lines.push(`  e.g. ${e}`);
  lines.push('');
  const reasons: string[] = [];
  if (v.lost > 0) reasons.push(`${v.lost} lost`);
  if (v.wrong > 0) reasons.push(`${v.wrong} wrong`);
  if (v.duplicates > 0) reasons.push(`${v.duplicates} duplicate`);
  if (v.catchUpMs === undefined) reasons.push('stores never caught up');
  const unrecovered = kills.filter((k) => k.caughtUpMs === undefined || k.error !== undefined).length;
  if (unrecovered > 0) reasons.push(`${unrecovered} kill(s) not recovered`);
  const note = r.crashes.length > 0 ? ` — but ${r.crashes.length} unexpected exit(s), see above` : '';
  lines.push(r.passed ? `verdict: PASS${note}` : `verdict: FAIL (${reasons.join(', ')})${note}`);
  return lines.join('\n');
}
