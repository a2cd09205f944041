import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { defineApi } from '../api.ts';
import { v0 } from './v0.ts';
import { v1 } from './v1.ts';

/** The only way existing members learn of a rebalance: REBALANCE_IN_PROGRESS (27). */
export const heartbeat = defineApi({
  key: ApiKey.Heartbeat,
  name: 'Heartbeat',
  versions: { 0: v0, 1: v1 },
  handle: (req, ctx) => ({
    errorCode: ctx.broker.groups.heartbeat(req.groupId, req.generationId, req.memberId),
  }),
});
