import type { VersionCodec } from '../api.ts';

/**
 * LeaveGroup v0
 *   request:  group_id string, member_id string
 *   response: error_code int16
 */
export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
}

export const v0: VersionCodec<LeaveGroupRequest, { errorCode: number }> = {
  decode: (r) => ({ groupId: r.string(), memberId: r.string() }),
  encode(w, res) {
    w.int16(res.errorCode);
  },
};
