import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../../kafka-protocol/error-codes.ts';
import { defineApi } from '../api.ts';
import { v1 } from './v1.ts';

/** Deletes data and the topic's committed offsets; fetches parked on it are woken. */
export const deleteTopics = defineApi({
  key: ApiKey.DeleteTopics,
  name: 'DeleteTopics',
  versions: { 1: v1 },
  async handle(req, ctx) {
    const { topics, offsets } = ctx.broker;
    const out = [];
    for (const name of req.names) {
      if (!topics.delete(name)) out.push({ name, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
      else {
        await offsets.deleteTopic(name);
        out.push({ name, errorCode: 0 });
      }
    }
    return { topics: out };
  },
});
