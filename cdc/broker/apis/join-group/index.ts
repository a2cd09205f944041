import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { defineApi } from '../api.ts';
import { v0 } from './v0.ts';
import { v1 } from './v1.ts';
import { v2 } from './v2.ts';

/** Held until the join phase completes (all members rejoined or the rebalance timeout). */
export const joinGroup = defineApi({
  key: ApiKey.JoinGroup,
  name: 'JoinGroup',
  versions: { 0: v0, 1: v1, 2: v2 },
  handle: (req, ctx) =>
    ctx.broker.groups.join({ ...req, clientId: ctx.clientId, clientHost: ctx.clientHost }),
});
