import type { VersionCodec } from '../api.ts';

/**
 * Produce v3
 *   request:  transactional_id nullable string, acks int16, timeout_ms int32,
 *             topics [name string, partitions [index int32, records nullable bytes]]
 *   response: topics [name string, partitions [index int32, error_code int16, base_offset int64,
 *                                              log_append_time_ms int64]],
 *             throttle_time_ms int32   (last, unlike most APIs)
 * `records` is a slice of the request frame: stored as is, never re-encoded.
 */
export interface ProduceRequest {
  transactionalId: string | null;
  acks: number;
  timeoutMs: number;
  topics: Array<{ name: string; partitions: Array<{ index: number; records: Buffer | null }> }>;
}
export interface ProduceResponse {
  topics: Array<{
    name: string;
    partitions: Array<{ index: number; errorCode: number; baseOffset: number; logStartOffset: number }>;
  }>;
}

export const v3: VersionCodec<ProduceRequest, ProduceResponse> = {
  decode: (r) => ({
    transactionalId: r.nullableString(),
    acks: r.int16(),
    timeoutMs: r.int32(),
    topics: r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ index: r.int32(), records: r.nullableBytes() })),
    })),
  }),
  encode(w, res) {
    w.array(res.topics, (w, t) =>
      w
        .string(t.name)
        .array(t.partitions, (w, p) => w.int32(p.index).int16(p.errorCode).int64(p.baseOffset).int64(-1)),
    );
    w.int32(0);
  },
};
