import type { VersionCodec } from '../api.ts';
import { type HeartbeatRequest, v1 } from './v1.ts';

/**
 * Heartbeat v0
 *   request:  group_id string, generation_id int32, member_id string   (as v1)
 *   response: error_code int16   (v1 adds throttle_time_ms first)
 */
export const v0: VersionCodec<HeartbeatRequest, { errorCode: number }> = {
  decode: v1.decode,
  encode(w, res) {
    w.int16(res.errorCode);
  },
};
