import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../../kafka-protocol/error-codes.ts';
import { validTopicName } from '../../log/topic-store.ts';
import { defineApi } from '../api.ts';
import { v2 } from './v2.ts';

/**
 * -1 partitions / replication factor = broker default (kafkajs sends -1 when omitted).
 * One node: a replication factor above 1 is refused (38) rather than silently weakened.
 */
export const createTopics = defineApi({
  key: ApiKey.CreateTopics,
  name: 'CreateTopics',
  versions: { 2: v2 },
  handle(req, ctx) {
    const { topics, config } = ctx.broker;
    const seen = new Set<string>();
    return {
      topics: req.topics.map((t) => {
        const fail = (errorCode: number, errorMessage: string) => ({ name: t.name, errorCode, errorMessage });
        if (seen.has(t.name)) return fail(ErrorCode.INVALID_REQUEST, `topic ${t.name} listed twice`);
        seen.add(t.name);
        if (!validTopicName(t.name)) {
          return fail(
            ErrorCode.INVALID_TOPIC_EXCEPTION,
            `topic name must match [a-zA-Z0-9._-]{1,249}, got "${t.name}"`,
          );
        }
        if (topics.get(t.name)) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `topic ${t.name} already exists`);
        if (t.assignments > 0)
          return fail(ErrorCode.INVALID_REQUEST, 'manual replica assignments are not supported');
        const partitions = t.numPartitions === -1 ? config.defaultPartitions : t.numPartitions;
        if (partitions < 1 || partitions > 10_000) {
          return fail(
            ErrorCode.INVALID_PARTITIONS,
            `num_partitions must be 1..10000 or -1, got ${t.numPartitions}`,
          );
        }
        if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
          return fail(
            ErrorCode.INVALID_REPLICATION_FACTOR,
            `single-node broker: replication factor must be 1 (or -1), got ${t.replicationFactor}`,
          );
        }
        if (t.configs.length > 0) {
          // Topic configs (retention, cleanup.policy=compact, ...) have no effect here: the log
          // keeps everything. Accepted so that tools creating topics with configs still work.
          ctx.broker.log.warn(
            { topic: t.name, ignoredConfigs: t.configs.map((c) => `${c.name}=${c.value}`) },
            'topic configs are not supported by the embedded broker; ignored',
          );
        }
        if (!req.validateOnly) topics.create(t.name, partitions);
        return { name: t.name, errorCode: 0, errorMessage: null };
      }),
    };
  },
});
