import type { JoinResult } from '../../groups/group.ts';
import type { VersionCodec } from '../api.ts';
import type { JoinGroupRequest } from './v0.ts';
import { v1 } from './v1.ts';

/**
 * JoinGroup v2
 *   request:  as v1
 *   response: throttle_time_ms int32, then v1's error_code int16, generation_id int32,
 *             protocol_name string, leader string, member_id string,
 *             members [member_id string, metadata bytes]
 */
export const v2: VersionCodec<JoinGroupRequest, JoinResult> = {
  decode: v1.decode,
  encode(w, res) {
    v1.encode(w.int32(0), res);
  },
};
