import type { VersionCodec } from '../api.ts';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from './v1.ts';

/**
 * FindCoordinator v0 (librdkafka probes it to enable consumer groups and LZ4)
 *   request:  key string (group id)
 *   response: error_code int16, node_id int32, host string, port int32
 */
export const v0: VersionCodec<FindCoordinatorRequest, FindCoordinatorResponse> = {
  decode: (r) => ({ key: r.string(), keyType: 0 }),
  encode(w, res) {
    w.int16(res.errorCode).int32(res.nodeId).string(res.host).int32(res.port);
  },
};
