import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { defineApi } from '../api.ts';
import { v1 } from './v1.ts';

/** Live groups plus groups known only by their committed offsets (after a restart). */
export const listGroups = defineApi({
  key: ApiKey.ListGroups,
  name: 'ListGroups',
  versions: { 1: v1 },
  handle(_req, ctx) {
    const { groups, offsets } = ctx.broker;
    const out = new Map<string, string>();
    for (const id of offsets.groupIds()) out.set(id, 'consumer');
    for (const g of groups.list()) out.set(g.id, g.protocolType ?? 'consumer');
    return { groups: [...out].map(([groupId, protocolType]) => ({ groupId, protocolType })) };
  },
});
