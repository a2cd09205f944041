import type { VersionCodec } from '../api.ts';

/**
 * OffsetCommit v2
 *   request:  group_id string, generation_id int32, member_id string, retention_time_ms int64,
 *             topics [name string, partitions [partition_index int32, committed_offset int64,
 *                                              committed_metadata nullable string]]
 *   response: topics [name string, partitions [partition_index int32, error_code int16]]
 *             (no throttle field in v2)
 */
export interface OffsetCommitRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  topics: Array<{
    name: string;
    partitions: Array<{ index: number; offset: number; metadata: string | null }>;
  }>;
}
export interface OffsetCommitResponse {
  topics: Array<{ name: string; partitions: Array<{ index: number; errorCode: number }> }>;
}

export const v2: VersionCodec<OffsetCommitRequest, OffsetCommitResponse> = {
  decode(r) {
    const groupId = r.string();
    const generationId = r.int32();
    const memberId = r.string();
    r.int64();
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => ({ index: r.int32(), offset: r.int64(), metadata: r.nullableString() })),
    }));
    return { groupId, generationId, memberId, topics };
  },
  encode(w, res) {
    w.array(res.topics, (w, t) =>
      w.string(t.name).array(t.partitions, (w, p) => w.int32(p.index).int16(p.errorCode)),
    );
  },
};
