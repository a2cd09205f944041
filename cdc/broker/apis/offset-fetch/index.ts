import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { defineApi } from '../api.ts';
import { type OffsetFetchResponse, v1 } from './v1.ts';
import { v2 } from './v2.ts';
import { v3 } from './v3.ts';

/** No commit (or unknown group) → offset -1, metadata '', no error, as Kafka answers. */
export const offsetFetch = defineApi({
  key: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  versions: { 1: v1, 2: v2, 3: v3 },
  handle(req, ctx) {
    const { offsets } = ctx.broker;
    if (req.topics === null) {
      const byTopic = new Map<string, OffsetFetchResponse['topics'][number]>();
      for (const c of offsets.all(req.groupId)) {
        let t = byTopic.get(c.topic);
        if (!t) {
          t = { name: c.topic, partitions: [] };
          byTopic.set(c.topic, t);
        }
        t.partitions.push({ index: c.partition, offset: c.offset, metadata: c.metadata ?? '', errorCode: 0 });
      }
      return { topics: [...byTopic.values()], errorCode: 0 };
    }
    return {
      errorCode: 0,
      topics: req.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((index) => {
          const c = offsets.get(req.groupId, t.name, index);
          return { index, offset: c?.offset ?? -1, metadata: c?.metadata ?? '', errorCode: 0 };
        }),
      })),
    };
  },
});
