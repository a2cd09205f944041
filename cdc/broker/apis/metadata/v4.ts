import type { VersionCodec } from '../api.ts';

/**
 * Metadata v4
 *   request:  topics nullable [name string] (null = all, empty = none), allow_auto_topic_creation bool
 *   response: throttle_time_ms int32,
 *             brokers [node_id int32, host string, port int32, rack nullable string],
 *             cluster_id nullable string, controller_id int32,
 *             topics [error_code int16, name string, is_internal bool,
 *                     partitions [error_code int16, partition_index int32, leader_id int32,
 *                                 replica_nodes [int32], isr_nodes [int32]]]
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

export const v4: VersionCodec<MetadataRequest, MetadataResponse> = {
  decode: (r) => ({ topics: r.nullableArray((r) => r.string()), allowAutoTopicCreation: r.bool() }),
  encode(w, res) {
    w.int32(0);
    w.array(res.brokers, (w, b) => w.int32(b.nodeId).string(b.host).int32(b.port).string(null));
    w.string(res.clusterId).int32(res.controllerId);
    w.array(res.topics, (w, t) =>
      w
        .int16(t.errorCode)
        .string(t.name)
        .bool(false)
        .array(t.partitions, (w, p) =>
          w
            .int16(p.errorCode)
            .int32(p.index)
            .int32(p.leader)
            .array([p.leader], (w, n) => w.int32(n))
            .array([p.leader], (w, n) => w.int32(n)),
        ),
    );
  },
};
