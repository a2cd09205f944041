import type { VersionCodec } from '../api.ts';

/**
 * ListOffsets v1
 *   request:  replica_id int32, topics [name string, partitions [partition_index int32, timestamp int64]]
 *   response: topics [name string, partitions [partition_index int32, error_code int16,
 *                                             timestamp int64, offset int64]]   (no throttle in v1)
 */
export interface ListOffsetsRequest {
  topics: Array<{ name: string; partitions: Array<{ index: number; timestamp: number }> }>;
}
export interface ListOffsetsResponse {
  topics: Array<{
    name: string;
    partitions: Array<{ index: number; errorCode: number; timestamp: number; offset: number }>;
  }>;
}

export const v1: VersionCodec<ListOffsetsRequest, ListOffsetsResponse> = {
  decode(r) {
    r.int32();
    return {
      topics: r.array((r) => ({
        name: r.string(),
        partitions: r.array((r) => ({ index: r.int32(), timestamp: r.int64() })),
      })),
    };
  },
  encode(w, res) {
    w.array(res.topics, (w, t) =>
      w
        .string(t.name)
        .array(t.partitions, (w, p) =>
          w.int32(p.index).int16(p.errorCode).int64(p.timestamp).int64(p.offset),
        ),
    );
  },
};
