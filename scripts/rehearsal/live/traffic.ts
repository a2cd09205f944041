import { LatencySamples, roundMs } from '../../load/latency.ts';
import { runLoad } from '../../load/run-load.ts';
import type { SessionKind } from '../../load/sessions.ts';
import type { RequestRecord } from '../../load/shop-client.ts';
import type { ShopFacts } from '../../load/shop-facts.ts';
import { isFailure } from '../../load/summary.ts';
import type { TrafficFigures } from '../figures.ts';
import type { Thresholds } from '../thresholds.ts';

/** Counters read from the proxy before and after a window (fallbacks, comparisons). */
export interface RouteCounters {
  compared: number;
  mismatches: number;
  noise: number;
  fallbacks: number;
  statusDifferences: number;
  examples: string[];
}

/** Leans the session mix towards the route under test so each window has enough of its traffic. */
export function mixFor(route: string): Partial<Record<SessionKind, number>> | undefined {
  if (route === 'orders') return { history: 50, buy: 25, browse: 15, search: 10 };
  if (route === 'products') return { browse: 55, search: 25, buy: 10, history: 10 };
  return undefined;
}

/**
 * Runs realistic sessions against `target` for `durationMs` and keeps the route's requests:
 * error rate, p50/p99, who served them; counters (fallbacks, comparisons) are the difference
 * of the proxy's figures across the window.
 */
export async function measureTraffic(options: {
  target: string;
  route: string;
  belongs: (r: RequestRecord) => boolean;
  durationMs: number;
  t: Thresholds;
  facts: ShopFacts;
  seed: number;
  counters?: () => Promise<RouteCounters>;
  onProgress?: (fraction: number) => void;
}): Promise<TrafficFigures> {
  const before = await options.counters?.();
  const samples = new LatencySamples();
  const servedBy: Record<string, number> = {};
  let requests = 0;
  let errors = 0;
  const started = Date.now();
  const tick = setInterval(
    () => options.onProgress?.(Math.min(1, (Date.now() - started) / options.durationMs)),
    250,
  );
  try {
    await runLoad({
      target: options.target,
      durationMs: options.durationMs,
      rate: options.t.traffic.rate,
      concurrency: options.t.traffic.concurrency,
      facts: options.facts,
      seed: options.seed,
      mix: mixFor(options.route),
      onRecord: (r) => {
        if (!options.belongs(r)) return;
        requests++;
        samples.add(r.ms);
        if (isFailure(r)) errors++;
        if (r.servedBy) servedBy[r.servedBy] = (servedBy[r.servedBy] ?? 0) + 1;
      },
    });
  } finally {
    clearInterval(tick);
    options.onProgress?.(1);
  }
  // Comparisons run in the background after each answer: give the last ones a moment to land.
  if (options.counters) await new Promise((r) => setTimeout(r, 1000));
  const after = await options.counters?.();
  const delta = (k: 'compared' | 'mismatches' | 'noise' | 'fallbacks' | 'statusDifferences') =>
    after && before ? after[k] - before[k] : 0;
  return {
    requests,
    errors,
    p50: roundMs(samples.percentile(50)),
    p99: roundMs(samples.percentile(99)),
    compared: delta('compared'),
    mismatches: delta('mismatches'),
    noise: delta('noise'),
    fallbacks: delta('fallbacks'),
    statusDifferences: delta('statusDifferences'),
    servedBy,
    examples: after?.examples ?? [],
  };
}
