import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { defineApi } from '../api.ts';
import { v0 } from './v0.ts';
import { v1 } from './v1.ts';

/** Followers wait for the leader's assignments; the group is Stable once they arrive. */
export const syncGroup = defineApi({
  key: ApiKey.SyncGroup,
  name: 'SyncGroup',
  versions: { 0: v0, 1: v1 },
  handle: (req, ctx) =>
    ctx.broker.groups.sync(
      req.groupId,
      req.generationId,
      req.memberId,
      new Map(req.assignments.map((a) => [a.memberId, a.assignment])),
    ),
});
