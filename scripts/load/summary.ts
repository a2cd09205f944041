import { LatencySamples, roundMs } from './latency.ts';
import type { RequestRecord } from './shop-client.ts';

export interface EndpointSummary {
  endpoint: string;
  requests: number;
  errors: number;
  p50: number;
  p99: number;
}

export interface LoadSummary {
  requests: number;
  elapsedMs: number;
  ratePerSecond: number;
  /** Answers by status; "0" counts requests that got no answer. */
  byStatus: Record<string, number>;
  /** 5xx and no-answer: failures of the system. 4xx are the shop's business answers. */
  errors: number;
  errorRate: number;
  p50: number;
  p99: number;
  max: number;
  byEndpoint: EndpointSummary[];
  servedBy: Record<string, number>;
}

export const isFailure = (r: RequestRecord) => r.status === 0 || r.status >= 500;

export function summarizeLoad(records: readonly RequestRecord[], elapsedMs: number): LoadSummary {
  const all = new LatencySamples();
  const byStatus: Record<string, number> = {};
  const servedBy: Record<string, number> = {};
  const endpoints = new Map<string, { samples: LatencySamples; errors: number }>();
  let errors = 0;
  for (const r of records) {
    all.add(r.ms);
    byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
    if (r.servedBy) servedBy[r.servedBy] = (servedBy[r.servedBy] ?? 0) + 1;
    let e = endpoints.get(r.endpoint);
    if (!e) {
      e = { samples: new LatencySamples(), errors: 0 };
      endpoints.set(r.endpoint, e);
    }
    e.samples.add(r.ms);
    if (isFailure(r)) {
      errors++;
      e.errors++;
    }
  }
  return {
    requests: records.length,
    elapsedMs: Math.round(elapsedMs),
    ratePerSecond: elapsedMs > 0 ? Math.round((records.length / elapsedMs) * 10_000) / 10 : 0,
    byStatus,
    errors,
    errorRate: records.length ? errors / records.length : 0,
    p50: roundMs(all.percentile(50)),
    p99: roundMs(all.percentile(99)),
    max: roundMs(all.percentile(100)),
    byEndpoint: [...endpoints]
      .map(([endpoint, e]) => ({
        endpoint,
        requests: e.samples.count,
        errors: e.errors,
        p50: roundMs(e.samples.percentile(50)),
        p99: roundMs(e.samples.percentile(99)),
      }))
      .sort((a, b) => a.endpoint.localeCompare(b.endpoint)),
    servedBy,
  };
}

export function formatLoadSummary(s: LoadSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(2)} %`;
  const statuses = Object.entries(s.byStatus)
    .map(([status, n]) => `${status === '0' ? 'no answer' : status} ×${n}`)
    .join(', ');
  const lines = [
    `requests  ${s.requests} in ${(s.elapsedMs / 1000).toFixed(1)} s (${s.ratePerSecond}/s)`,
    `statuses  ${statuses || 'none'}`,
    `errors    ${s.errors} (${pct(s.errorRate)}; 5xx and no answer — 4xx are the shop's own answers)`,
    `latency   p50 ${s.p50} ms  p99 ${s.p99} ms  max ${s.max} ms`,
  ];
  if (Object.keys(s.servedBy).length > 0) {
    lines.push(
      `served by ${Object.entries(s.servedBy)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ')}`,
    );
  }
  lines.push('', 'endpoint          requests  errors   p50 ms   p99 ms');
  for (const e of s.byEndpoint) {
    lines.push(
      `${e.endpoint.padEnd(16)}  ${String(e.requests).padStart(8)}  ${String(e.errors).padStart(6)}  ${String(e.p50).padStart(7)}  ${String(e.p99).padStart(7)}`,
    );
  }
  return lines.join('\n');
}
