import { percentile } from '../../lib/stats.ts';
/**
 * Latency samples of one bounded run. Runs are bounded (duration × rate), so keeping every
 * sample and sorting once is exact and cheap; a histogram would blur the p99 the gates read.
 */
export class LatencySamples {
  private readonly values: number[] = [];
  private sorted = true;

  add(ms: number): void {
    if (this.values.length > 0 && ms < this.values[this.values.length - 1]!) this.sorted = false;
    this.values.push(ms);
  }

  get count(): number {
    return this.values.length;
  }

  /** Nearest-rank percentile (p in 0..100); 0 when there are no samples. */
  percentile(p: number): number {
    if (this.values.length === 0) return 0;
    if (!this.sorted) {
      this.values.sort((a, b) => a - b);
      this.sorted = true;
    }
    return percentile(this.values, p);
  }

  merge(other: LatencySamples): this {
    for (const v of other.values) this.add(v);
    return this;
  }
}

/** Rounds a latency for display: 0.1 ms below 10 ms, whole ms above. */
export function roundMs(ms: number): number {
  return ms < 10 ? Math.round(ms * 10) / 10 : Math.round(ms);
}
