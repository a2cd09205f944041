import type { Writer } from '../../../kafka-protocol/writer.ts';
import type { VersionCodec } from '../api.ts';

/**
 * Metadata v0 (kafka-python 2.0 asks for v0 against brokers it takes for older than 0.10)
 *   request:  topics [name string] (empty = all topics)
 *   response: brokers [node_id int32, host string, port int32],
 *             topics [error_code int16, name string,
 *                     partitions [error_code int16, partition_index int32, leader_id int32,
 *                                 replica_nodes [int32], isr_nodes [int32]]]
 * Before v4 a request cannot say whether to auto-create: the broker's setting decides, as in Kafka.
 */
export interface MetadataRequest {
  topics: string[] | null;
  allowAutoTopicCreation: boolean;
}
export interface MetadataResponse {
  brokers: Array<{ nodeId: number; host: string; port: number }>;
  clusterId: string;
  controllerId: number;
  topics: Array<{
    errorCode: number;
    name: string;
    partitions: Array<{ errorCode: number; index: number; leader: number }>;
  }>;
}

/** The partitions array, the same in every version up to 4. */
export function writePartitions(w: Writer, partitions: MetadataResponse['topics'][number]['partitions']) {
  w.array(partitions, (w, p) =>
    w
      .int16(p.errorCode)
      .int32(p.index)
      .int32(p.leader)
      .array([p.leader], (w, n) => w.int32(n))
      .array([p.leader], (w, n) => w.int32(n)),
  );
}

export const v0: VersionCodec<MetadataRequest, MetadataResponse> = {
  decode(r) {
    const topics = r.array((r) => r.string());
    return { topics: topics.length === 0 ? null : topics, allowAutoTopicCreation: true };
  },
  encode(w, res) {
    w.array(res.brokers, (w, b) => w.int32(b.nodeId).string(b.host).int32(b.port));
    w.array(res.topics, (w, t) => {
      w.int16(t.errorCode).string(t.name);
      writePartitions(w, t.partitions);
    });
  },
};
