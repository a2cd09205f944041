import type { Writer } from '../../../kafka-protocol/writer.ts';
import type { VersionCodec } from '../api.ts';

/**
 * Fetch v4
 *   request:  replica_id int32, max_wait_ms int32, min_bytes int32, max_bytes int32,
 *             isolation_level int8,
 *             topics [topic string, partitions [partition int32, fetch_offset int64,
 *                                               partition_max_bytes int32]]
 *   response: throttle_time_ms int32,
 *             responses [topic string, partitions [partition int32, error_code int16,
 *                        high_watermark int64, last_stable_offset int64,
 *                        aborted_transactions nullable [producer_id int64, first_offset int64],
 *                        records bytes]]
 * records is never null (librdkafka rejects -1); it is written from the stored batch buffers.
 * aborted_transactions is written as an empty array: no transactions here.
 */
export interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  /** Fetch sessions (v7+, KIP-227): 0 and -1 = a full fetch outside any session. */
  sessionId: number;
  sessionEpoch: number;
  topics: Array<{
    name: string;
    partitions: Array<{ index: number; fetchOffset: number; maxBytes: number }>;
  }>;
}
export interface FetchPartitionResult {
  index: number;
  errorCode: number;
  highWatermark: number;
  logStartOffset: number;
  chunks: Buffer[];
}
export interface FetchResponse {
  /** Top-level error and session id (v7+). */
  errorCode: number;
  sessionId: number;
  topics: Array<{ name: string; partitions: FetchPartitionResult[] }>;
}

/** Each partition's fields up to its records, v4 to v10 (log_start_offset from v5). */
export function writePartition(w: Writer, p: FetchPartitionResult, withLogStart: boolean) {
  w.int32(p.index).int16(p.errorCode).int64(p.highWatermark).int64(p.highWatermark);
  if (withLogStart) w.int64(p.logStartOffset);
  w.int32(0).bytesChunks(p.chunks);
}

export const v4: VersionCodec<FetchRequest, FetchResponse> = {
  decode(r) {
    r.int32();
    const maxWaitMs = r.int32();
    const minBytes = r.int32();
    const maxBytes = r.int32();
    r.int8();
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ index: r.int32(), fetchOffset: r.int64(), maxBytes: r.int32() })),
    }));
    return { maxWaitMs, minBytes, maxBytes, sessionId: 0, sessionEpoch: -1, topics };
  },
  encode(w, res) {
    w.int32(0);
    w.array(res.topics, (w, t) =>
      w.string(t.name).array(t.partitions, (w, p) => writePartition(w, p, false)),
    );
  },
};
