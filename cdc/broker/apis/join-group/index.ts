import { ApiKey } from '../../protocol/api-keys.ts';
import { defineApi } from '../api.ts';
import { v2 } from './v2.ts';

/** Held until the join phase completes (all members rejoined or the rebalance timeout). */
export const joinGroup = defineApi({
  key: ApiKey.JoinGroup,
  name: 'JoinGroup',
  versions: { 2: v2 },
  handle: (req, ctx) =>
    ctx.broker.groups.join({ ...req, clientId: ctx.clientId, clientHost: ctx.clientHost }),
});
