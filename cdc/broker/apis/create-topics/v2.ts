import type { VersionCodec } from '../api.ts';

/**
 * CreateTopics v2
 *   request:  topics [name string, num_partitions int32, replication_factor int16,
 *                     assignments [partition_index int32, broker_ids [int32]],
 *                     configs [name string, value nullable string]],
 *             timeout_ms int32, validate_only bool
 *   response: throttle_time_ms int32, topics [name string, error_code int16, error_message nullable string]
 */
export interface CreateTopicsRequest {
  topics: Array<{
    name: string;
    numPartitions: number;
    replicationFactor: number;
    assignments: number;
    configs: Array<{ name: string; value: string | null }>;
  }>;
  validateOnly: boolean;
}
export interface CreateTopicsResponse {
  topics: Array<{ name: string; errorCode: number; errorMessage: string | null }>;
}

export const v2: VersionCodec<CreateTopicsRequest, CreateTopicsResponse> = {
  decode(r) {
    const topics = r.array((r) => {
      const name = r.string();
      const numPartitions = r.int32();
      const replicationFactor = r.int16();
      const assignments = r.array((r) => ({ index: r.int32(), brokers: r.array((r) => r.int32()) })).length;
      const configs = r.array((r) => ({ name: r.string(), value: r.nullableString() }));
      return { name, numPartitions, replicationFactor, assignments, configs };
    });
    r.int32();
    return { topics, validateOnly: r.bool() };
  },
  encode(w, res) {
    w.int32(0).array(res.topics, (w, t) => w.string(t.name).int16(t.errorCode).string(t.errorMessage));
  },
};
