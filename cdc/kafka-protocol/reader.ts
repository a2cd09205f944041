import { MalformedDataError } from './errors.ts';

/**
 * Cursor over one request or response body. Every read checks bounds and throws
 * MalformedDataError, which the broker turns into "close this client's socket, log why" and the
 * connector's client into "drop this broker connection, retry" (never a crash).
 * Kafka primitives: big-endian ints; string = int16 length (-1 null); bytes = int32 length
 * (-1 null); array = int32 count (-1 null).
 */
export class Reader {
  offset: number;
  constructor(
    readonly buf: Buffer,
    offset = 0,
    private readonly end = buf.length,
  ) {
    this.offset = offset;
  }

  private need(n: number, what: string): number {
    const at = this.offset;
    if (n < 0 || at + n > this.end) {
      throw new MalformedDataError(
        `truncated ${what}: need ${n} bytes at offset ${at}, have ${this.end - at}`,
      );
    }
    this.offset = at + n;
    return at;
  }

  remaining(): number {
    return this.end - this.offset;
  }

  int8(): number {
    return this.buf.readInt8(this.need(1, 'int8'));
  }
  int16(): number {
    return this.buf.readInt16BE(this.need(2, 'int16'));
  }
  int32(): number {
    return this.buf.readInt32BE(this.need(4, 'int32'));
  }
  /** int64 as a JS number: offsets and timestamps stay far below 2^53 here. */
  int64(): number {
    return Number(this.buf.readBigInt64BE(this.need(8, 'int64')));
  }
  bool(): boolean {
    return this.int8() !== 0;
  }

  nullableString(): string | null {
    const len = this.int16();
    if (len === -1) return null;
    if (len < -1) throw new MalformedDataError(`negative string length ${len}`);
    const at = this.need(len, 'string');
    return this.buf.toString('utf8', at, at + len);
  }
  string(): string {
    const s = this.nullableString();
    if (s === null) throw new MalformedDataError('null where a string is required');
    return s;
  }

  /** A slice of the frame (no copy): record batches are stored exactly as received. */
  nullableBytes(): Buffer | null {
    const len = this.int32();
    if (len === -1) return null;
    if (len < -1) throw new MalformedDataError(`negative bytes length ${len}`);
    const at = this.need(len, 'bytes');
    return this.buf.subarray(at, at + len);
  }
  bytes(): Buffer {
    return this.nullableBytes() ?? Buffer.alloc(0);
  }

  nullableArray<T>(item: (r: Reader) => T): T[] | null {
    const count = this.int32();
    if (count === -1) return null;
    // Each item takes at least one byte: a count above the remaining bytes is a lie.
    if (count < -1 || count > this.remaining()) throw new MalformedDataError(`bad array count ${count}`);
    const out: T[] = new Array(count);
    for (let i = 0; i < count; i++) out[i] = item(this);
    return out;
  }
  array<T>(item: (r: Reader) => T): T[] {
    return this.nullableArray(item) ?? [];
  }
}
