import type { SyncResult } from '../../groups/group.ts';
import type { VersionCodec } from '../api.ts';
import { type SyncGroupRequest, v1 } from './v1.ts';

/**
 * SyncGroup v0
 *   request:  as v1
 *   response: error_code int16, assignment bytes   (v1 adds throttle_time_ms first)
 */
export const v0: VersionCodec<SyncGroupRequest, SyncResult> = {
  decode: v1.decode,
  encode(w, res) {
    w.int16(res.errorCode).bytes(res.assignment);
  },
};
