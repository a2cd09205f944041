import { Codec, codecNames, decompress } from './compression.ts';
import { crc32c } from './crc32c.ts';
import { ErrorCode } from './error-codes.ts';
import { MalformedDataError } from './errors.ts';

/**
 * RecordBatch v2 header (61 bytes), all the broker reads of a batch (the connector's client
 * writes whole batches with `encodeRecordBatch`):
 *   0 base_offset int64 | 8 batch_length int32 | 12 partition_leader_epoch int32 | 16 magic int8
 *   17 crc uint32 (CRC-32C of bytes 21..end) | 21 attributes int16 | 23 last_offset_delta int32
 *   27 base_timestamp int64 | 35 max_timestamp int64 | 43 producer_id int64
 *   51 producer_epoch int16 | 53 base_sequence int32 | 57 records_count int32 | 61 records
 * Bytes 0..20 are outside the CRC, so writing the broker's base offset keeps it valid.
 */
export const BATCH_HEADER_BYTES = 61;
export const BATCH_LENGTH_OFFSET = 8;
/** base_offset + batch_length: the bytes not counted by batch_length. */
export const BATCH_LOG_OVERHEAD = 12;

export interface BatchInfo {
  /** total bytes of the batch (12 + batch_length) */
  size: number;
  lastOffsetDelta: number;
  maxTimestamp: number;
  recordCount: number;
}

export type BatchCheck = { ok: true; info: BatchInfo } | { ok: false; errorCode: number; reason: string };

export interface ProducedBatchLimits {
  maxBatchBytes: number;
  /** zstd batches need Produce v7 (KIP-110); Kafka refuses them below. Default: allowed. */
  zstdAllowed?: boolean;
}

/**
 * Validates one produced batch as Kafka's log validator does: exactly one magic-2 batch,
 * consistent length, CRC-32C, then the records themselves, decompressed whatever the codec:
 * each must decode, their count must match records_count and last_offset_delta + 1, and no
 * byte may follow the last. The answers are Kafka's (checked against Apache Kafka 4): records
 * that do not decode → INVALID_RECORD; a section that does not decompress, or a codec number
 * Kafka does not know → UNKNOWN_SERVER_ERROR (Kafka's own answer, an exception in its
 * decompressor); zstd below Produce v7 → UNSUPPORTED_COMPRESSION_TYPE.
 */
export function checkProducedBatch(records: Buffer, limits: ProducedBatchLimits | number): BatchCheck {
  const { maxBatchBytes, zstdAllowed = true } =
    typeof limits === 'number' ? { maxBatchBytes: limits } : limits;
  if (records.length < BATCH_HEADER_BYTES) {
    return {
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
      reason: `records ${records.length} bytes < header`,
    };
  }
  const magic = records.readInt8(16);
  if (magic !== 2)
    return { ok: false, errorCode: ErrorCode.INVALID_RECORD, reason: `magic ${magic}, need 2` };
  const size = BATCH_LOG_OVERHEAD + records.readInt32BE(BATCH_LENGTH_OFFSET);
  if (size !== records.length) {
    return {
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
      reason: `batch_length says ${size} bytes but the field holds ${records.length} (need exactly one batch)`,
    };
  }
  if (size > maxBatchBytes) {
    return {
      ok: false,
      errorCode: ErrorCode.MESSAGE_TOO_LARGE,
      reason: `batch ${size} bytes > ${maxBatchBytes}`,
    };
  }
  const crc = records.readUInt32BE(17);
  const actual = crc32c(records, 21, size);
  if (crc !== actual) {
    return { ok: false, errorCode: ErrorCode.CORRUPT_MESSAGE, reason: `crc ${crc} != computed ${actual}` };
  }
  const lastOffsetDelta = records.readInt32BE(23);
  const recordCount = records.readInt32BE(57);
  if (lastOffsetDelta < 0 || recordCount < 1 || recordCount !== lastOffsetDelta + 1) {
    return {
      ok: false,
      errorCode: ErrorCode.INVALID_RECORD,
      reason: `records_count ${recordCount} and last_offset_delta ${lastOffsetDelta} disagree`,
    };
  }
  const codec = records.readInt16BE(21) & 0x07;
  if (codec === Codec.zstd && !zstdAllowed) {
    return {
      ok: false,
      errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE,
      reason: 'zstd batch in a Produce request below v7',
    };
  }
  let section: Buffer;
  try {
    section = decompress(codec, records.subarray(BATCH_HEADER_BYTES));
  } catch (err) {
    return { ok: false, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, reason: (err as Error).message };
  }
  const walked = walkRecords(section, recordCount);
  if (walked !== null) {
    const codecName = codecNames[codec] ?? codec;
    return { ok: false, errorCode: ErrorCode.INVALID_RECORD, reason: `${codecName} records: ${walked}` };
  }
  return {
    ok: true,
    info: { size, lastOffsetDelta, maxTimestamp: Number(records.readBigInt64BE(35)), recordCount },
  };
}

/** Why `section` is not exactly `count` well-formed records, or null when it is (no allocation). */
function walkRecords(section: Buffer, count: number): string | null {
  const cursor = new RecordCursor(section);
  try {
    for (let i = 0; i < count; i++) {
      const length = cursor.varint();
      const end = cursor.at + length;
      if (length < 6 || end > section.length) return `record ${i} of ${length} bytes past the section`;
      cursor.at++; // attributes
      cursor.varint(); // timestamp delta
      cursor.varint(); // offset delta
      cursor.skipBytes(); // key
      cursor.skipBytes(); // value
      for (let h = cursor.varint(); h > 0; h--) {
        cursor.skipBytes();
        cursor.skipBytes();
      }
      if (cursor.at !== end) return `record ${i} says ${length} bytes but holds ${length + cursor.at - end}`;
    }
  } catch (err) {
    return (err as Error).message;
  }
  if (cursor.at !== section.length) return `${section.length - cursor.at} bytes after ${count} records`;
  return null;
}

/** Reads the zig-zag varints and varint-length fields of a record section. */
class RecordCursor {
  at = 0;
  constructor(private readonly section: Buffer) {}

  varint(): number {
    let u = 0;
    for (let shift = 0; ; shift += 7) {
      if (this.at >= this.section.length || shift > 28)
        throw new MalformedDataError(`bad varint at ${this.at}`);
      const b = this.section[this.at++] as number;
      u |= (b & 0x7f) << shift;
      if (b < 0x80) break;
    }
    u >>>= 0;
    return (u >>> 1) ^ -(u & 1);
  }

  /** A varint length then that many bytes (-1 = null); returns them without copying. */
  bytes(): Buffer | null {
    const len = this.varint();
    if (len < 0) return null;
    if (this.at + len > this.section.length)
      throw new MalformedDataError(`record field of ${len} bytes past the end`);
    this.at += len;
    return this.section.subarray(this.at - len, this.at);
  }

  skipBytes(): void {
    this.bytes();
  }
}

/** Header check used by recovery on stored bytes; returns the batch size or -1 when torn/corrupt. */
export function storedBatchSize(buf: Buffer, at: number, verifyCrc: boolean): number {
  if (at + BATCH_HEADER_BYTES > buf.length) return -1;
  const size = BATCH_LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_OFFSET);
  if (size < BATCH_HEADER_BYTES || at + size > buf.length || buf.readInt8(at + 16) !== 2) return -1;
  if (verifyCrc && buf.readUInt32BE(at + 17) !== crc32c(buf, at + 21, at + size)) return -1;
  return size;
}

/** Compression codec in a batch's attributes (bits 0-2). */
export { Codec as Compression } from './compression.ts';

const MAGIC = 2;
const TRANSACTIONAL = 0x10;

/** Zig-zag varints (records use them for every length and delta). */
const zigzag = (n: number) => ((n << 1) ^ (n >> 31)) >>> 0;
const uvarintSize = (u: number) =>
  u < 0x80 ? 1 : u < 0x4000 ? 2 : u < 0x200000 ? 3 : u < 0x10000000 ? 4 : 5;
export const varintSize = (n: number) => uvarintSize(zigzag(n));

/** Writes `n` at `offset`, returns the offset after it. */
export function writeVarint(buf: Buffer, offset: number, n: number): number {
  let u = zigzag(n);
  while (u >= 0x80) {
    buf[offset++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[offset++] = u;
  return offset;
}

export interface BatchHeaderFields {
  /** Records in the batch; offset deltas are 0..count-1. */
  count: number;
  compression: number;
  /** First and max timestamp (every record's delta is 0). */
  timestampMs: number;
  transactional?: boolean;
  /** -1 / 0 / 0 when the producer is not idempotent. */
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
}

/**
 * One record batch: the 61-byte header above (base offset 0, leader epoch 0, magic 2, then
 * the CRC-32C of everything after it) followed by `records`, the record section as it goes on
 * the wire (compressed already when `compression` says so).
 */
export function encodeRecordBatch(records: Buffer, fields: BatchHeaderFields): Buffer {
  const batch = Buffer.allocUnsafe(BATCH_HEADER_BYTES + records.length);
  const ts = BigInt(fields.timestampMs);
  let o = batch.writeBigInt64BE(0n, 0); // base offset: the broker assigns it
  o = batch.writeInt32BE(batch.length - BATCH_LOG_OVERHEAD, o);
  o = batch.writeInt32BE(0, o); // partition leader epoch
  o = batch.writeInt8(MAGIC, o);
  const crcAt = o;
  const crcFrom = crcAt + 4;
  o = batch.writeInt16BE((fields.compression & 0x07) | (fields.transactional ? TRANSACTIONAL : 0), crcFrom);
  o = batch.writeInt32BE(fields.count - 1, o); // last offset delta
  o = batch.writeBigInt64BE(ts, o);
  o = batch.writeBigInt64BE(ts, o);
  o = batch.writeBigInt64BE(fields.producerId ?? -1n, o);
  o = batch.writeInt16BE(fields.producerEpoch ?? 0, o);
  o = batch.writeInt32BE(fields.baseSequence ?? 0, o);
  batch.writeInt32BE(fields.count, o);
  records.copy(batch, BATCH_HEADER_BYTES);
  batch.writeUInt32BE(crc32c(batch, crcFrom), crcAt);
  return batch;
}

export interface DecodedBatch {
  baseOffset: number;
  compression: number;
  transactional: boolean;
  lastOffsetDelta: number;
  firstTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  count: number;
  /** The record section, still compressed when `compression` is not 0. */
  records: Buffer;
}

export interface DecodedRecord {
  attributes: number;
  timestampDelta: number;
  offsetDelta: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Array<[string, Buffer | null]>;
}

/** The header fields of one batch (checked as a produced batch is: magic, length, CRC-32C). */
export function decodeRecordBatch(batch: Buffer): DecodedBatch {
  const check = checkProducedBatch(batch, Number.MAX_SAFE_INTEGER);
  if (!check.ok) throw new MalformedDataError(`record batch: ${check.reason}`);
  const attributes = batch.readInt16BE(21);
  return {
    baseOffset: Number(batch.readBigInt64BE(0)),
    compression: attributes & 0x07,
    transactional: (attributes & TRANSACTIONAL) !== 0,
    lastOffsetDelta: batch.readInt32BE(23),
    firstTimestamp: Number(batch.readBigInt64BE(27)),
    maxTimestamp: Number(batch.readBigInt64BE(35)),
    producerId: batch.readBigInt64BE(43),
    producerEpoch: batch.readInt16BE(51),
    baseSequence: batch.readInt32BE(53),
    count: batch.readInt32BE(57),
    records: batch.subarray(BATCH_HEADER_BYTES),
  };
}

/**
 * The records of an uncompressed record section. Each record: length varint, attributes int8,
 * timestamp_delta varint, offset_delta varint, key (varint length, -1 null), value (same),
 * headers (varint count, then key and value as the key and value are written).
 */
export function decodeRecords(section: Buffer, count: number): DecodedRecord[] {
  const cursor = new RecordCursor(section);
  const out: DecodedRecord[] = [];
  for (let i = 0; i < count; i++) {
    const length = cursor.varint();
    const end = cursor.at + length;
    const attributes = section[cursor.at++] as number;
    const record: DecodedRecord = {
      attributes,
      timestampDelta: cursor.varint(),
      offsetDelta: cursor.varint(),
      key: cursor.bytes(),
      value: cursor.bytes(),
      headers: [],
    };
    for (let h = cursor.varint(); h > 0; h--) {
      const key = cursor.bytes();
      record.headers.push([key?.toString('utf8') ?? '', cursor.bytes()]);
    }
    if (cursor.at !== end)
      throw new MalformedDataError(`record ${i} says ${length} bytes but holds ${length + cursor.at - end}`);
    out.push(record);
  }
  if (cursor.at !== section.length)
    throw new MalformedDataError(`${section.length - cursor.at} bytes after ${count} records`);
  return out;
}
