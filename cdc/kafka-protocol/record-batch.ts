import { crc32c } from './crc32c.ts';
import { ErrorCode } from './error-codes.ts';

/**
 * RecordBatch v2 header (61 bytes), the only thing the broker reads of a batch:
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

/** Validates one produced batch: exactly one magic-2 batch, consistent length, CRC-32C. */
export function checkProducedBatch(records: Buffer, maxBatchBytes: number): BatchCheck {
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
  if (lastOffsetDelta < 0 || recordCount < 1) {
    return { ok: false, errorCode: ErrorCode.INVALID_RECORD, reason: `last_offset_delta ${lastOffsetDelta}` };
  }
  return {
    ok: true,
    info: { size, lastOffsetDelta, maxTimestamp: Number(records.readBigInt64BE(35)), recordCount },
  };
}

/** Header check used by recovery on stored bytes; returns the batch size or -1 when torn/corrupt. */
export function storedBatchSize(buf: Buffer, at: number, verifyCrc: boolean): number {
  if (at + BATCH_HEADER_BYTES > buf.length) return -1;
  const size = BATCH_LOG_OVERHEAD + buf.readInt32BE(at + BATCH_LENGTH_OFFSET);
  if (size < BATCH_HEADER_BYTES || at + size > buf.length || buf.readInt8(at + 16) !== 2) return -1;
  if (verifyCrc && buf.readUInt32BE(at + 17) !== crc32c(buf, at + 21, at + size)) return -1;
  return size;
}
