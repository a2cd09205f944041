import type { VersionCodec } from '../api.ts';
import { type HeartbeatRequest, v0 } from './v0.ts';

/**
 * Heartbeat v1
 *   request:  as v0
 *   response: throttle_time_ms int32, then v0's error_code int16
 */
export const v1: VersionCodec<HeartbeatRequest, { errorCode: number }> = {
  decode: v0.decode,
  encode(w, res) {
    v0.encode(w.int32(0), res);
  },
};
