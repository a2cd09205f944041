import type { VersionCodec } from '../api.ts';
import type { OffsetFetchRequest, OffsetFetchResponse } from './v3.ts';

/**
 * OffsetFetch v1 (librdkafka probes it to enable consumer groups)
 *   request:  group_id string, topics [name string, partition_indexes [int32]]   (never null)
 *   response: topics [name string, partitions [partition_index int32, committed_offset int64,
 *                                             metadata nullable string, error_code int16]]
 * v2 appends a top-level error_code; v3 puts throttle_time_ms first and allows null topics.
 */
export const v1: VersionCodec<OffsetFetchRequest, OffsetFetchResponse> = {
  decode: (r) => ({
    groupId: r.string(),
    topics: r.array((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) })),
  }),
  encode(w, res) {
    w.array(res.topics, (w, t) =>
      w
        .string(t.name)
        .array(t.partitions, (w, p) =>
          w.int32(p.index).int64(p.offset).string(p.metadata).int16(p.errorCode),
        ),
    );
  },
};

export const v2: VersionCodec<OffsetFetchRequest, OffsetFetchResponse> = {
  decode: v1.decode,
  encode(w, res) {
    v1.encode(w, res);
    w.int16(res.errorCode);
  },
};
