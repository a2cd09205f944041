import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../lib/log.ts';
import { BATCH_LOG_OVERHEAD, storedBatchSize } from '../../kafka-protocol/record-batch.ts';

/** One stored batch: where it is and what offsets it covers. */
export interface BatchEntry {
  baseOffset: number;
  lastOffset: number;
  position: number;
  size: number;
  maxTimestamp: number;
  segment: Segment;
  /** The batch bytes while they are in the BatchCache. */
  data?: Buffer;
}

/**
 * Offset index entry (24 bytes, one per batch):
 *   relative_base_offset int32 | last_offset_delta int32 | position uint32 | size int32 | max_timestamp int64
 * The index is a cache of the log: recovery trusts it only as far as it agrees with the log
 * file, and rebuilds the rest by scanning batch headers.
 */
const INDEX_ENTRY = 24;

export const segmentName = (baseOffset: number) => String(baseOffset).padStart(20, '0');

/** A log file of batches exactly as received (offsets assigned) plus its offset index. */
export class Segment {
  readonly entries: BatchEntry[] = [];
  size = 0;
  private constructor(
    readonly baseOffset: number,
    readonly logPath: string,
    readonly fd: number,
    private readonly indexFd: number,
  ) {}

  static create(dir: string, baseOffset: number): Segment {
    const name = segmentName(baseOffset);
    const logPath = path.join(dir, `${name}.log`);
    const fd = fs.openSync(logPath, 'a+');
    const indexFd = fs.openSync(path.join(dir, `${name}.index`), 'a+');
    syncDir(dir);
    return new Segment(baseOffset, logPath, fd, indexFd);
  }

  /** Opens an existing segment, trusting the index as far as it matches the log, scanning the rest. */
  static open(dir: string, baseOffset: number, log: Logger): Segment {
    const name = segmentName(baseOffset);
    const logPath = path.join(dir, `${name}.log`);
    const indexPath = path.join(dir, `${name}.index`);
    const fd = fs.openSync(logPath, 'r+');
    const indexFd = fs.openSync(indexPath, fs.existsSync(indexPath) ? 'r+' : 'a+');
    const seg = new Segment(baseOffset, logPath, fd, indexFd);
    const logSize = fs.fstatSync(fd).size;
    const index = fs.readFileSync(indexPath);
    let end = 0;
    for (let at = 0; at + INDEX_ENTRY <= index.length; at += INDEX_ENTRY) {
      const position = index.readUInt32BE(at + 8);
      const size = index.readInt32BE(at + 12);
      if (position !== end || size < BATCH_LOG_OVERHEAD || position + size > logSize) break;
      const base = baseOffset + index.readInt32BE(at);
      seg.entries.push({
        baseOffset: base,
        lastOffset: base + index.readInt32BE(at + 4),
        position,
        size,
        maxTimestamp: Number(index.readBigInt64BE(at + 16)),
        segment: seg,
      });
      end = position + size;
    }
    const trusted = seg.entries.length;
    // Scan what the index does not cover, checking every CRC: a torn tail stops the scan.
    const rest = Buffer.alloc(logSize - end);
    if (rest.length > 0) fs.readSync(fd, rest, 0, rest.length, end);
    let at = 0;
    for (;;) {
      const size = storedBatchSize(rest, at, true);
      if (size < 0) break;
      const base = Number(rest.readBigInt64BE(at));
      seg.entries.push({
        baseOffset: base,
        lastOffset: base + rest.readInt32BE(at + 23),
        position: end + at,
        size,
        maxTimestamp: Number(rest.readBigInt64BE(at + 35)),
        segment: seg,
      });
      at += size;
    }
    seg.size = end + at;
    if (seg.size < logSize) {
      log.warn(
        { segment: logPath, validBytes: seg.size, droppedBytes: logSize - seg.size },
        'recovery: truncating a torn or corrupt tail of the log segment',
      );
      fs.ftruncateSync(fd, seg.size);
      fs.fsyncSync(fd);
    }
    if (trusted !== seg.entries.length || index.length !== trusted * INDEX_ENTRY) {
      fs.ftruncateSync(indexFd, trusted * INDEX_ENTRY);
      for (let i = trusted; i < seg.entries.length; i++) seg.writeIndex(seg.entries[i]!, i);
      log.info({ segment: logPath, rebuiltEntries: seg.entries.length - trusted }, 'recovery: index rebuilt');
    }
    return seg;
  }

  /** Appends a batch (its base offset already written) and its index entry; the caller flushes. */
  append(batch: Buffer, entry: Omit<BatchEntry, 'position' | 'segment' | 'size'>): BatchEntry {
    const position = this.size;
    let written = 0;
    while (written < batch.length) {
      written += fs.writeSync(this.fd, batch, written, batch.length - written, position + written);
    }
    this.size += batch.length;
    const full: BatchEntry = { ...entry, position, size: batch.length, segment: this };
    this.writeIndex(full, this.entries.length);
    this.entries.push(full);
    return full;
  }

  private writeIndex(e: BatchEntry, slot: number): void {
    const b = Buffer.allocUnsafe(INDEX_ENTRY);
    b.writeInt32BE(e.baseOffset - this.baseOffset, 0);
    b.writeInt32BE(e.lastOffset - e.baseOffset, 4);
    b.writeUInt32BE(e.position, 8);
    b.writeInt32BE(e.size, 12);
    b.writeBigInt64BE(BigInt(e.maxTimestamp), 16);
    fs.writeSync(this.indexFd, b, 0, INDEX_ENTRY, slot * INDEX_ENTRY);
  }

  /** Reads `length` bytes at `position` (page cache, usually). */
  read(position: number, length: number): Buffer {
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const n = fs.readSync(this.fd, out, done, length - done, position + done);
      if (n === 0) throw new Error(`short read in ${this.logPath} at ${position + done}`);
      done += n;
    }
    return out;
  }

  close(): void {
    fs.closeSync(this.fd);
    fs.closeSync(this.indexFd);
  }
}

export function syncDir(dir: string): void {
  const fd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
