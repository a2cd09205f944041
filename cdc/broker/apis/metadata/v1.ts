import type { Writer } from '../../../kafka-protocol/writer.ts';
import type { VersionCodec } from '../api.ts';
import { type MetadataRequest, type MetadataResponse, writePartitions } from './v0.ts';

/**
 * Metadata v1 (kafka-python 2.0's version against every newer broker)
 *   request:  topics nullable [name string] (null = all, empty = none)
 *   response: brokers [node_id int32, host string, port int32, rack nullable string],
 *             controller_id int32,
 *             topics [error_code int16, name string, is_internal bool, partitions (as v0)]
 */
export function writeBrokers(w: Writer, res: MetadataResponse) {
  w.array(res.brokers, (w, b) => w.int32(b.nodeId).string(b.host).int32(b.port).string(null));
}
export function writeTopics(w: Writer, res: MetadataResponse) {
  w.array(res.topics, (w, t) => {
    w.int16(t.errorCode).string(t.name).bool(false);
    writePartitions(w, t.partitions);
  });
}

export const v1: VersionCodec<MetadataRequest, MetadataResponse> = {
  decode: (r) => ({ topics: r.nullableArray((r) => r.string()), allowAutoTopicCreation: true }),
  encode(w, res) {
    writeBrokers(w, res);
    w.int32(res.controllerId);
    writeTopics(w, res);
  },
};
