import type { VersionCodec } from '../api.ts';

/**
 * FindCoordinator v0 (librdkafka probes it to enable consumer groups and LZ4)
 *   request:  key string (group id)
 *   response: error_code int16, node_id int32, host string, port int32
 * The shapes carry v1's fields too (key type, error message): v0 requests are group lookups.
 */
export interface FindCoordinatorRequest {
  key: string;
  /** 0 group, 1 transaction (v1+) */
  keyType: number;
}
export interface FindCoordinatorResponse {
  errorCode: number;
  errorMessage: string | null;
  nodeId: number;
  host: string;
  port: number;
}

export const v0: VersionCodec<FindCoordinatorRequest, FindCoordinatorResponse> = {
  decode: (r) => ({ key: r.string(), keyType: 0 }),
  encode(w, res) {
    w.int16(res.errorCode).int32(res.nodeId).string(res.host).int32(res.port);
  },
};
