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
 */
export interface FetchRequest {
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  topics: Array<{
    name: string;
    partitions: Array<{ index: number; fetchOffset: number; maxBytes: number }>;
  }>;
}
export interface FetchPartitionResult {
  index: number;
  errorCode: number;
  highWatermark: number;
  chunks: Buffer[];
}
export interface FetchResponse {
  topics: Array<{ name: string; partitions: FetchPartitionResult[] }>;
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
    return { maxWaitMs, minBytes, maxBytes, topics };
  },
  encode(w, res) {
    w.int32(0);
    w.array(res.topics, (w, t) =>
      w
        .string(t.name)
        .array(t.partitions, (w, p) =>
          w
            .int32(p.index)
            .int16(p.errorCode)
            .int64(p.highWatermark)
            .int64(p.highWatermark)
            .int32(0)
            .bytesChunks(p.chunks),
        ),
    );
  },
};
