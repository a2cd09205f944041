import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { defineApi } from '../api.ts';
import { type DescribedGroup, v1 } from './v1.ts';

/** Unknown groups are 'Dead' with no error (kafkajs setOffsets treats Empty/Dead as idle). */
export const describeGroups = defineApi({
  key: ApiKey.DescribeGroups,
  name: 'DescribeGroups',
  versions: { 1: v1 },
  handle(req, ctx) {
    const { groups, offsets } = ctx.broker;
    return {
      groups: req.groups.map((groupId): DescribedGroup => {
        const g = groups.get(groupId);
        if (!g) {
          const known = offsets.all(groupId).length > 0;
          const state = known ? 'Empty' : 'Dead';
          return {
            errorCode: 0,
            groupId,
            state,
            protocolType: known ? 'consumer' : '',
            protocol: '',
            members: [],
          };
        }
        const stable = g.state === 'Stable';
        return {
          errorCode: 0,
          groupId,
          state: g.state,
          protocolType: g.protocolType ?? '',
          protocol: stable ? (g.protocolName ?? '') : '',
          members: [...g.members.values()].map((m) => ({
            memberId: m.id,
            clientId: m.clientId,
            clientHost: m.clientHost,
            metadata:
              (stable && m.protocols.find((p) => p.name === g.protocolName)?.metadata) || Buffer.alloc(0),
            assignment: stable ? m.assignment : Buffer.alloc(0),
          })),
        };
      }),
    };
  },
});
