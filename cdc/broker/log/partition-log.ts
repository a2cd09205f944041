import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../lib/log.ts';
import type { BatchCache } from './batch-cache.ts';
import type { Flusher } from './flusher.ts';
import { type BatchEntry, Segment } from './segment.ts';

export interface LogOptions {
  segmentBytes: number;
  cache: BatchCache;
  flusher: Flusher;
  log: Logger;
}

/**
 * One partition: an append-only sequence of segments. Offsets are assigned here, in append
 * order, by writing the base offset into bytes 0..7 of the received batch (outside its CRC).
 * `highWatermark` is the next offset; with one node every appended batch is committed.
 */
export class PartitionLog {
  private readonly segments: Segment[] = [];
  /** All batches in offset order, across segments. */
  private readonly entries: BatchEntry[] = [];
  private readonly waiters = new Set<() => void>();
  highWatermark = 0;
  logStartOffset = 0;

  constructor(
    readonly dir: string,
    private readonly options: LogOptions,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    const bases = fs
      .readdirSync(dir)
      .filter((f) => /^\d{20}\.log$/.test(f))
      .map((f) => Number(f.slice(0, 20)))
      .sort((a, b) => a - b);
    for (const base of bases) {
      const seg = Segment.open(dir, base, options.log);
      this.segments.push(seg);
      for (const e of seg.entries) this.entries.push(e);
    }
    const last = this.entries.at(-1);
    this.highWatermark = last ? last.lastOffset + 1 : (bases[0] ?? 0);
    this.logStartOffset = this.entries[0]?.baseOffset ?? this.highWatermark;
  }

  /** Appends one validated batch; returns its base offset. Durable after `flusher.flush()`. */
  append(batch: Buffer, lastOffsetDelta: number, maxTimestamp: number): number {
    const baseOffset = this.highWatermark;
    batch.writeBigInt64BE(BigInt(baseOffset), 0);
    batch.writeInt32BE(0, 12); // partition_leader_epoch: one node, epoch 0
    let seg = this.segments.at(-1);
    if (!seg || (seg.size > 0 && seg.size + batch.length > this.options.segmentBytes)) {
      if (seg) this.options.flusher.forget(seg.fd);
      seg = Segment.create(this.dir, baseOffset);
      this.segments.push(seg);
    }
    const entry = seg.append(batch, { baseOffset, lastOffset: baseOffset + lastOffsetDelta, maxTimestamp });
    this.options.flusher.markDirty(seg.fd);
    this.options.cache.add(entry, batch);
    this.entries.push(entry);
    this.highWatermark = entry.lastOffset + 1;
    for (const wake of [...this.waiters]) wake();
    return baseOffset;
  }

  /** Index of the first batch whose last offset >= offset (the batch holding it). */
  private locate(offset: number): number {
    let lo = 0;
    let hi = this.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.entries[mid]!.lastOffset < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /**
   * Whole batches from the one containing `offset`: the first is always returned whole, even
   * above `maxBytes` (KIP-74; kafkajs spins otherwise), then more while they fit.
   */
  read(offset: number, maxBytes: number): { chunks: Buffer[]; bytes: number } {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let i = this.locate(offset);
    while (i < this.entries.length) {
      const first = this.entries[i]!;
      if (bytes > 0 && bytes + first.size > maxBytes) break;
      if (first.data) {
        chunks.push(first.data);
        bytes += first.size;
        i++;
        continue;
      }
      // A run of uncached batches of one segment is read with one call.
      let j = i;
      let runBytes = 0;
      while (j < this.entries.length) {
        const e = this.entries[j]!;
        if (e.data || e.segment !== first.segment) break;
        if (bytes + runBytes > 0 && bytes + runBytes + e.size > maxBytes) break;
        runBytes += e.size;
        j++;
      }
      chunks.push(first.segment.read(first.position, runBytes));
      bytes += runBytes;
      i = j;
    }
    return { chunks, bytes };
  }

  /** Offset of the first batch whose max timestamp >= ts, or -1 (ListOffsets by time). */
  offsetForTimestamp(ts: number): number {
    for (const e of this.entries) if (e.maxTimestamp >= ts) return e.baseOffset;
    return -1;
  }

  /** Called once on the next append; returns the unsubscribe function. */
  onAppend(wake: () => void): () => void {
    this.waiters.add(wake);
    return () => this.waiters.delete(wake);
  }

  /** Wakes every parked fetch (topic deleted, shutdown) */
  wakeAll(): void {
    for (const wake of [...this.waiters]) wake();
  }

  close(): void {
    for (const e of this.entries) this.options.cache.release(e);
    for (const seg of this.segments) {
      this.options.flusher.forget(seg.fd);
      seg.close();
    }
  }

  static dirFor(topicDir: string, partition: number): string {
    return path.join(topicDir, String(partition));
  }
}
