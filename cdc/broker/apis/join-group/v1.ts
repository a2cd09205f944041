import type { JoinResult } from '../../groups/group.ts';
import type { VersionCodec } from '../api.ts';
import { encodeJoinBody } from './v0.ts';
import { type JoinGroupRequest, v2 } from './v2.ts';

/**
 * JoinGroup v1
 *   request:  as v2 (adds rebalance_timeout_ms after session_timeout_ms)
 *   response: as v0 (v2 adds throttle_time_ms first)
 */
export const v1: VersionCodec<JoinGroupRequest, JoinResult> = {
  decode: v2.decode,
  encode: encodeJoinBody,
};
