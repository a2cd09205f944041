import type { VersionCodec } from '../api.ts';
import type { MetadataRequest, MetadataResponse } from './v0.ts';
import { v3 } from './v3.ts';

/**
 * Metadata v4 (kafkajs, librdkafka)
 *   request:  topics nullable [name string] (null = all, empty = none), allow_auto_topic_creation bool
 *   response: as v3
 */
export const v4: VersionCodec<MetadataRequest, MetadataResponse> = {
  decode: (r) => ({ topics: r.nullableArray((r) => r.string()), allowAutoTopicCreation: r.bool() }),
  encode: v3.encode,
};
