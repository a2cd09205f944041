import type { SyncResult } from '../../groups/group.ts';
import type { VersionCodec } from '../api.ts';
import { type SyncGroupRequest, v0 } from './v0.ts';

/**
 * SyncGroup v1
 *   request:  as v0
 *   response: throttle_time_ms int32, then v0's error_code int16, assignment bytes
 */
export const v1: VersionCodec<SyncGroupRequest, SyncResult> = {
  decode: v0.decode,
  encode(w, res) {
    v0.encode(w.int32(0), res);
  },
};
