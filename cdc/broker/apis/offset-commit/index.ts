import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../../kafka-protocol/error-codes.ts';
import { defineApi } from '../api.ts';
import { v2 } from './v2.ts';

/**
 * Group checks as Kafka does them (one error for the whole request), then every partition of a
 * known topic is stored verbatim and made durable before the answer.
 */
export const offsetCommit = defineApi({
  key: ApiKey.OffsetCommit,
  name: 'OffsetCommit',
  versions: { 2: v2 },
  async handle(req, ctx) {
    const { broker } = ctx;
    const groupError = broker.groups.validateCommit(req.groupId, req.generationId, req.memberId);
    const commits: Array<{ topic: string; partition: number; offset: number; metadata: string | null }> = [];
    const topics = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        let errorCode: number = groupError;
        if (!groupError && !broker.topics.partition(t.name, p.index))
          errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        if (!errorCode)
          commits.push({ topic: t.name, partition: p.index, offset: p.offset, metadata: p.metadata });
        return { index: p.index, errorCode };
      }),
    }));
    if (commits.length > 0) await broker.offsets.commit(req.groupId, commits);
    return { topics };
  },
});
