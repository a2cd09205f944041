import type { JoinResult } from '../../groups/group.ts';
import type { JoinRequest } from '../../groups/group-coordinator.ts';
import type { VersionCodec } from '../api.ts';

/**
 * JoinGroup v0
 *   request:  group_id string, session_timeout_ms int32, member_id string, protocol_type string,
 *             protocols [name string, metadata bytes]   (rebalance timeout = session timeout)
 *   response: error_code int16, generation_id int32, protocol_name string, leader string,
 *             member_id string, members [member_id string, metadata bytes]
 */
/** What the coordinator needs of a JoinGroup request; client id and host come from the connection. */
export type JoinGroupRequest = Omit<JoinRequest, 'clientId' | 'clientHost'>;

export const v0: VersionCodec<JoinGroupRequest, JoinResult> = {
  decode(r) {
    const groupId = r.string();
    const sessionTimeoutMs = r.int32();
    return {
      groupId,
      sessionTimeoutMs,
      rebalanceTimeoutMs: sessionTimeoutMs,
      memberId: r.string(),
      protocolType: r.string(),
      // Copied: the frame buffer must not be pinned for the life of the group.
      protocols: r.array((r) => ({ name: r.string(), metadata: Buffer.from(r.bytes()) })),
    };
  },
  encode(w, res) {
    w.int16(res.errorCode)
      .int32(res.generationId)
      .string(res.protocolName)
      .string(res.leaderId)
      .string(res.memberId)
      .array(res.members, (w, m) => w.string(m.memberId).bytes(m.metadata));
  },
};
