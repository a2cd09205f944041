import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../../kafka-protocol/error-codes.ts';
import { checkProducedBatch } from '../../../kafka-protocol/record-batch.ts';
import { defineApi, NO_RESPONSE } from '../api.ts';
import { type ProduceResponse, v3 } from './v3.ts';
import { v4 } from './v4.ts';
import { v5 } from './v5.ts';
import { v6 } from './v6.ts';
import { v7 } from './v7.ts';

/**
 * Validates every partition's batch (one magic-2 batch, size limit, CRC-32C, its records
 * decompressed and walked) before storing it byte for byte; a refused batch stores nothing.
 * acks 1/-1 are answered after the group-commit fsync; acks 0 gets no response at all, as in
 * Kafka. v0-2 (legacy message sets) are advertised but not served, as on Kafka 4 (KIP-896): such
 * a request closes the connection. librdkafka 2.0.2 only compresses when the range reaches them.
 */
export const produce = defineApi({
  key: ApiKey.Produce,
  name: 'Produce',
  versions: { 3: v3, 4: v4, 5: v5, 6: v6, 7: v7 },
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
        if (!log) return refused(p.index, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        if (!p.records) return refused(p.index, ErrorCode.INVALID_RECORD);
        const check = checkProducedBatch(p.records, {
          maxBatchBytes: broker.config.maxBatchBytes,
          zstdAllowed: ctx.apiVersion >= 7,
        });
        if (!check.ok) {
          broker.log.warn(
            { topic: t.name, partition: p.index, client: ctx.clientId, reason: check.reason },
            'produce refused',
          );
          return refused(p.index, check.errorCode);
        }
        appended = true;
        const baseOffset = log.append(p.records, check.info.lastOffsetDelta, check.info.maxTimestamp);
        return { index: p.index, errorCode: 0, baseOffset, logStartOffset: log.logStartOffset };
      }),
    }));
    if (req.acks === 0) return NO_RESPONSE;
    if (appended) await broker.topics.flusher.flush();
    return { topics };
  },
});

const refused = (index: number, errorCode: number) => ({
  index,
  errorCode,
  baseOffset: -1,
  logStartOffset: -1,
});

function errorAll(topics: Array<{ name: string; partitions: Array<{ index: number }> }>, errorCode: number) {
  return {
    topics: topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => refused(p.index, errorCode)),
    })),
  };
}
