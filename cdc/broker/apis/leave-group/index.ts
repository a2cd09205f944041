import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { defineApi } from '../api.ts';
import { v0 } from './v0.ts';
import { v1 } from './v1.ts';

/** Removes the member; the rest rebalance (or the group becomes Empty). */
export const leaveGroup = defineApi({
  key: ApiKey.LeaveGroup,
  name: 'LeaveGroup',
  versions: { 0: v0, 1: v1 },
  handle: (req, ctx) => ({ errorCode: ctx.broker.groups.leave(req.groupId, req.memberId) }),
});
