/**
 * Spreads request starts evenly at `rate` per second across every virtual user, so a burst of
 * sessions cannot exceed the rate the operator asked for. Rate 0 means as fast as the
 * concurrency allows.
 */
export class RatePacer {
  private nextSlot = 0;
  constructor(private readonly ratePerSecond: number) {
    if (!Number.isFinite(ratePerSecond) || ratePerSecond < 0) {
      throw new RangeError(`rate must be a number ≥ 0 (requests per second), got ${ratePerSecond}`);
    }
  }

  async wait(): Promise<void> {
    if (this.ratePerSecond === 0) return;
    const interval = 1000 / this.ratePerSecond;
    const now = performance.now();
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + interval;
    const delay = slot - now;
    if (delay >= 1) await new Promise((r) => setTimeout(r, delay));
  }
}
