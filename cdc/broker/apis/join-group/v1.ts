import type { JoinResult } from '../../groups/group.ts';
import type { VersionCodec } from '../api.ts';
import { type JoinGroupRequest, v0 } from './v0.ts';

/**
 * JoinGroup v1
 *   request:  group_id string, session_timeout_ms int32, rebalance_timeout_ms int32,
 *             member_id string, protocol_type string, protocols [name string, metadata bytes]
 *   response: as v0
 */
export const v1: VersionCodec<JoinGroupRequest, JoinResult> = {
  decode: (r) => ({
    groupId: r.string(),
    sessionTimeoutMs: r.int32(),
    rebalanceTimeoutMs: r.int32(),
    memberId: r.string(),
    protocolType: r.string(),
    // Copied: the frame buffer must not be pinned for the life of the group.
    protocols: r.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) })),
  }),
  encode: v0.encode,
};
