import type { VersionCodec } from '../api.ts';

/**
 * Heartbeat v1
 *   request:  group_id string, generation_id int32, member_id string
 *   response: throttle_time_ms int32, error_code int16
 */
export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
}

export const v1: VersionCodec<HeartbeatRequest, { errorCode: number }> = {
  decode: (r) => ({ groupId: r.string(), generationId: r.int32(), memberId: r.string() }),
  encode(w, res) {
    w.int32(0).int16(res.errorCode);
  },
};
