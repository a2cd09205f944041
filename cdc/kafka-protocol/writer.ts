/**
 * Builds a response as a list of chunks. Fixed fields go into a growing scratch buffer;
 * large byte fields (record batches) are appended as references, so a Fetch answer is
 * written to the socket without copying the stored batches.
 */
export class Writer {
  private readonly chunks: Buffer[] = [];
  private scratch = Buffer.allocUnsafe(256);
  private pos = 0;
  private flushedBytes = 0;

  private room(n: number): void {
    if (this.pos + n <= this.scratch.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.scratch.length * 2, this.pos + n));
    this.scratch.copy(next, 0, 0, this.pos);
    this.scratch = next;
  }

  int8(v: number): this {
    this.room(1);
    this.pos = this.scratch.writeInt8(v, this.pos);
    return this;
  }
  int16(v: number): this {
    this.room(2);
    this.pos = this.scratch.writeInt16BE(v, this.pos);
    return this;
  }
  int32(v: number): this {
    this.room(4);
    this.pos = this.scratch.writeInt32BE(v, this.pos);
    return this;
  }
  uint32(v: number): this {
    this.room(4);
    this.pos = this.scratch.writeUInt32BE(v, this.pos);
    return this;
  }
  int64(v: number): this {
    this.room(8);
    this.pos = this.scratch.writeBigInt64BE(BigInt(v), this.pos);
    return this;
  }
  bool(v: boolean): this {
    return this.int8(v ? 1 : 0);
  }
  string(s: string | null): this {
    if (s === null) return this.int16(-1);
    const len = Buffer.byteLength(s);
    this.int16(len);
    this.room(len);
    this.pos += this.scratch.write(s, this.pos, 'utf8');
    return this;
  }
  /** Small byte fields are copied; use `bytesChunks` for record data. */
  bytes(b: Buffer | null): this {
    if (b === null) return this.int32(-1);
    this.int32(b.length);
    if (b.length > 4096) return this.raw([b]);
    this.room(b.length);
    b.copy(this.scratch, this.pos);
    this.pos += b.length;
    return this;
  }
  /** A `bytes` field made of several buffers, referenced, not copied. */
  bytesChunks(parts: Buffer[]): this {
    let total = 0;
    for (const p of parts) total += p.length;
    this.int32(total);
    return this.raw(parts);
  }
  array<T>(items: readonly T[] | null, write: (w: this, item: T) => void): this {
    if (items === null) return this.int32(-1);
    this.int32(items.length);
    for (const item of items) write(this, item);
    return this;
  }

  private raw(parts: Buffer[]): this {
    this.cut();
    for (const p of parts) {
      this.chunks.push(p);
      this.flushedBytes += p.length;
    }
    return this;
  }

  private cut(): void {
    if (this.pos === 0) return;
    this.chunks.push(this.scratch.subarray(0, this.pos));
    this.flushedBytes += this.pos;
    this.scratch = this.scratch.subarray(this.pos);
    if (this.scratch.length < 64) this.scratch = Buffer.allocUnsafe(256);
    this.pos = 0;
  }

  get length(): number {
    return this.flushedBytes + this.pos;
  }

  /** The finished body as chunks (for socket writes) */
  finish(): Buffer[] {
    this.cut();
    return this.chunks;
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.finish());
  }
}
