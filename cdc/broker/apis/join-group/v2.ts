import type { JoinResult } from '../../groups/group.ts';
import type { VersionCodec } from '../api.ts';
import { encodeJoinBody } from './v0.ts';

/**
 * JoinGroup v2
 *   request:  group_id string, session_timeout_ms int32, rebalance_timeout_ms int32,
 *             member_id string, protocol_type string, protocols [name string, metadata bytes]
 *   response: throttle_time_ms int32, error_code int16, generation_id int32, protocol_name string,
 *             leader string, member_id string, members [member_id string, metadata bytes]
 */
export interface JoinGroupRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
}

export const v2: VersionCodec<JoinGroupRequest, JoinResult> = {
  decode: (r) => ({
    groupId: r.string(),
    sessionTimeoutMs: r.int32(),
    rebalanceTimeoutMs: r.int32(),
    memberId: r.string(),
    protocolType: r.string(),
    // Copied: the frame buffer must not be pinned for the life of the group.
    protocols: r.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) })),
  }),
  encode(w, res) {
    encodeJoinBody(w.int32(0), res);
  },
};
