import type { VersionCodec } from '../api.ts';

/**
 * Heartbeat v0
 *   request:  group_id string, generation_id int32, member_id string
 *   response: error_code int16
 */
export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
}

export const v0: VersionCodec<HeartbeatRequest, { errorCode: number }> = {
  decode: (r) => ({ groupId: r.string(), generationId: r.int32(), memberId: r.string() }),
  encode(w, res) {
    w.int16(res.errorCode);
  },
};
