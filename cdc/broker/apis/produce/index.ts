import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../../kafka-protocol/error-codes.ts';
import { checkProducedBatch } from '../../../kafka-protocol/record-batch.ts';
import { defineApi, NO_RESPONSE } from '../api.ts';
import { type ProduceResponse, v3 } from './v3.ts';

/**
 * Validates every partition's batch (one magic-2 batch, size limit, CRC-32C) before storing
 * it; a refused batch stores nothing. acks 1/-1 are answered after the group-commit fsync;
 * acks 0 gets no response at all, as in Kafka.
 */
export const produce = defineApi({
  key: ApiKey.Produce,
  name: 'Produce',
  versions: { 3: v3 },
  advertisedMin: 0,
  async handle(req, ctx) {
    const { broker } = ctx;
    if (req.acks !== 0 && req.acks !== 1 && req.acks !== -1) {
      return errorAll(req.topics, ErrorCode.INVALID_REQUIRED_ACKS);
    }
    if (req.transactionalId !== null) return errorAll(req.topics, ErrorCode.UNSUPPORTED_VERSION);
    let appended = false;
    const topics: ProduceResponse['topics'] = req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const log = broker.topics.partition(t.name, p.index);
        if (!log) return { index: p.index, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1 };
        if (!p.records) return { index: p.index, errorCode: ErrorCode.INVALID_RECORD, baseOffset: -1 };
        const check = checkProducedBatch(p.records, broker.config.maxBatchBytes);
        if (!check.ok) {
          broker.log.warn(
            { topic: t.name, partition: p.index, client: ctx.clientId, reason: check.reason },
            'produce refused',
          );
          return { index: p.index, errorCode: check.errorCode, baseOffset: -1 };
        }
        appended = true;
        const baseOffset = log.append(p.records, check.info.lastOffsetDelta, check.info.maxTimestamp);
        return { index: p.index, errorCode: 0, baseOffset };
      }),
    }));
    if (req.acks === 0) return NO_RESPONSE;
    if (appended) await broker.topics.flusher.flush();
    return { topics };
  },
});

function errorAll(topics: Array<{ name: string; partitions: Array<{ index: number }> }>, errorCode: number) {
  return {
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => ({ index: p.index, errorCode, baseOffset: -1 })),
    })),
  };
}
