import type { VersionCodec } from '../api.ts';

/**
 * OffsetFetch v1 (librdkafka probes it to enable consumer groups)
 *   request:  group_id string, topics [name string, partition_indexes [int32]]   (never null)
 *   response: topics [name string, partitions [partition_index int32, committed_offset int64,
 *                                             metadata nullable string, error_code int16]]
 * The shapes carry later versions' fields too: null topics (v3), a top-level error code (v2).
 */
export interface OffsetFetchRequest {
  groupId: string;
  /** null = every partition the group has committed (v3+) */
  topics: Array<{ name: string; partitions: number[] }> | null;
}
export interface OffsetFetchResponse {
  topics: Array<{
    name: string;
    partitions: Array<{ index: number; offset: number; metadata: string | null; errorCode: number }>;
  }>;
  errorCode: number;
}

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
