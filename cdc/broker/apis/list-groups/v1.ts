import type { VersionCodec } from '../api.ts';

/**
 * ListGroups v1
 *   request:  (empty)
 *   response: throttle_time_ms int32, error_code int16, groups [group_id string, protocol_type string]
 */
export interface ListGroupsResponse {
  groups: Array<{ groupId: string; protocolType: string }>;
}

export const v1: VersionCodec<Record<string, never>, ListGroupsResponse> = {
  decode: () => ({}),
  encode(w, res) {
    w.int32(0)
      .int16(0)
      .array(res.groups, (w, g) => w.string(g.groupId).string(g.protocolType));
  },
};
