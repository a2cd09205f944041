import type { SyncResult } from '../../groups/group.ts';
import type { VersionCodec } from '../api.ts';

/**
 * SyncGroup v0
 *   request:  group_id string, generation_id int32, member_id string,
 *             assignments [member_id string, assignment bytes]   (leader only)
 *   response: error_code int16, assignment bytes
 */
export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  assignments: Array<{ memberId: string; assignment: Buffer }>;
}

export const v0: VersionCodec<SyncGroupRequest, SyncResult> = {
  decode: (r) => ({
    groupId: r.string(),
    generationId: r.int32(),
    memberId: r.string(),
    assignments: r.array((r) => ({ memberId: r.string(), assignment: Buffer.from(r.bytes()) })),
  }),
  encode(w, res) {
    w.int16(res.errorCode).bytes(res.assignment);
  },
};
