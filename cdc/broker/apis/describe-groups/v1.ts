import type { VersionCodec } from '../api.ts';

/**
 * DescribeGroups v1
 *   request:  groups [string]
 *   response: throttle_time_ms int32,
 *             groups [error_code int16, group_id string, group_state string, protocol_type string,
 *                     protocol_data string,
 *                     members [member_id string, client_id string, client_host string,
 *                              member_metadata bytes, member_assignment bytes]]
 */
export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: Array<{
    memberId: string;
    clientId: string;
    clientHost: string;
    metadata: Buffer;
    assignment: Buffer;
  }>;
}

export const v1: VersionCodec<{ groups: string[] }, { groups: DescribedGroup[] }> = {
  decode: (r) => ({ groups: r.array((r) => r.string()) }),
  encode(w, res) {
    w.int32(0).array(res.groups, (w, g) =>
      w
        .int16(g.errorCode)
        .string(g.groupId)
        .string(g.state)
        .string(g.protocolType)
        .string(g.protocol)
        .array(g.members, (w, m) =>
          w.string(m.memberId).string(m.clientId).string(m.clientHost).bytes(m.metadata).bytes(m.assignment),
        ),
    );
  },
};
