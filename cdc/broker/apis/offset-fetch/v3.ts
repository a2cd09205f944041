import type { VersionCodec } from '../api.ts';
import { v2 } from './v1.ts';

/**
 * OffsetFetch v3
 *   request:  group_id string, topics nullable [name string, partition_indexes [int32]]
 *             (null = every partition the group has committed)
 *   response: throttle_time_ms int32,
 *             topics [name string, partitions [partition_index int32, committed_offset int64,
 *                                             metadata nullable string, error_code int16]],
 *             error_code int16
 */
export interface OffsetFetchRequest {
  groupId: string;
  topics: Array<{ name: string; partitions: number[] }> | null;
}
export interface OffsetFetchResponse {
  topics: Array<{
    name: string;
    partitions: Array<{ index: number; offset: number; metadata: string | null; errorCode: number }>;
  }>;
  errorCode: number;
}

export const v3: VersionCodec<OffsetFetchRequest, OffsetFetchResponse> = {
  decode: (r) => ({
    groupId: r.string(),
    topics: r.nullableArray((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) })),
  }),
  encode(w, res) {
    v2.encode(w.int32(0), res);
  },
};
