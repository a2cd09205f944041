import type { VersionCodec } from '../api.ts';

/**
 * LeaveGroup v1
 *   request:  group_id string, member_id string
 *   response: throttle_time_ms int32, error_code int16
 */
export interface LeaveGroupRequest {
  groupId: string;
  memberId: string;
}

export const v1: VersionCodec<LeaveGroupRequest, { errorCode: number }> = {
  decode: (r) => ({ groupId: r.string(), memberId: r.string() }),
  encode(w, res) {
    w.int32(0).int16(res.errorCode);
  },
};
