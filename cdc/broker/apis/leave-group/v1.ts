import type { VersionCodec } from '../api.ts';
import { type LeaveGroupRequest, v0 } from './v0.ts';

/**
 * LeaveGroup v1
 *   request:  as v0
 *   response: throttle_time_ms int32, then v0's error_code int16
 */
export const v1: VersionCodec<LeaveGroupRequest, { errorCode: number }> = {
  decode: v0.decode,
  encode(w, res) {
    v0.encode(w.int32(0), res);
  },
};
