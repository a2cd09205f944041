import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../../kafka-protocol/error-codes.ts';
import { validTopicName } from '../../log/topic-store.ts';
import { defineApi } from '../api.ts';
import { type MetadataResponse, v0 } from './v0.ts';
import { v1 } from './v1.ts';
import { v2 } from './v2.ts';
import { v3 } from './v3.ts';
import { v4 } from './v4.ts';

/**
 * One node (id 0) that leads every partition. Unknown topics are created only when the
 * request allows it (producers, subscribing consumers; every request before v4) AND
 * BROKER_AUTO_CREATE_TOPICS is on; admin and kcat lookups must not create topics from typos.
 */
export const metadata = defineApi({
  key: ApiKey.Metadata,
  name: 'Metadata',
  versions: { 0: v0, 1: v1, 2: v2, 3: v3, 4: v4 },
  handle(req, ctx) {
    const { broker } = ctx;
    const names = req.topics ?? broker.topics.list().map((t) => t.name);
    const topics: MetadataResponse['topics'] = names.map((name) => {
      let topic = broker.topics.get(name);
      if (!topic && !validTopicName(name))
        return { errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, name, partitions: [] };
      if (!topic && req.allowAutoTopicCreation && broker.config.autoCreateTopics) {
        topic = broker.topics.create(name, broker.config.defaultPartitions);
      }
      if (!topic) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name, partitions: [] };
      return {
        errorCode: 0,
        name,
        partitions: topic.partitions.map((_, index) => ({ errorCode: 0, index, leader: broker.nodeId })),
      };
    });
    return {
      brokers: [{ nodeId: broker.nodeId, host: broker.advertisedHost, port: broker.advertisedPort }],
      clusterId: broker.config.clusterId,
      controllerId: broker.nodeId,
      topics,
    };
  },
});
