import type { VersionCodec } from '../api.ts';

/**
 * DeleteTopics v1
 *   request:  topic_names [string], timeout_ms int32
 *   response: throttle_time_ms int32, responses [name string, error_code int16]
 */
export interface DeleteTopicsRequest {
  names: string[];
}
export interface DeleteTopicsResponse {
  topics: Array<{ name: string; errorCode: number }>;
}

export const v1: VersionCodec<DeleteTopicsRequest, DeleteTopicsResponse> = {
  decode(r) {
    const names = r.array((r) => r.string());
    r.int32();
    return { names };
  },
  encode(w, res) {
    w.int32(0).array(res.topics, (w, t) => w.string(t.name).int16(t.errorCode));
  },
};
