import type { BatchEntry } from './segment.ts';

/**
 * Keeps the most recently appended batches in memory (the buffers received from producers,
 * already carrying their broker offsets), so consumers that keep up are served without
 * touching the disk. Oldest first out once the byte budget is exceeded.
 */
export class BatchCache {
  private queue: BatchEntry[] = [];
  private head = 0;
  private bytes = 0;

  constructor(private readonly budget: number) {}

  add(entry: BatchEntry, data: Buffer): void {
    if (data.length > this.budget) return;
    entry.data = data;
    this.queue.push(entry);
    this.bytes += data.length;
    while (this.bytes > this.budget && this.head < this.queue.length) {
      const old = this.queue[this.head++]!;
      if (old.data) {
        this.bytes -= old.data.length;
        old.data = undefined;
      }
    }
    if (this.head > 4096 && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
  }

  /** Drops entries of a deleted/truncated partition from the accounting. */
  release(entry: BatchEntry): void {
    if (entry.data) {
      this.bytes -= entry.data.length;
      entry.data = undefined;
    }
  }
}
