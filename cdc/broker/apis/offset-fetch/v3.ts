import type { VersionCodec } from '../api.ts';
import type { OffsetFetchRequest, OffsetFetchResponse } from './v1.ts';
import { v2 } from './v2.ts';

/**
 * OffsetFetch v3
 *   request:  group_id string, topics nullable [name string, partition_indexes [int32]]
 *             (null = every partition the group has committed)
 *   response: throttle_time_ms int32,
 *             topics [name string, partitions [partition_index int32, committed_offset int64,
 *                                             metadata nullable string, error_code int16]],
 *             error_code int16
 */
export const v3: VersionCodec<OffsetFetchRequest, OffsetFetchResponse> = {
  decode: (r) => ({
    groupId: r.string(),
    topics: r.nullableArray((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) })),
  }),
  encode(w, res) {
    v2.encode(w.int32(0), res);
  },
};
