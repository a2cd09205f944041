import type { VersionCodec } from '../api.ts';
import type { FindCoordinatorRequest, FindCoordinatorResponse } from './v0.ts';

/**
 * FindCoordinator v1
 *   request:  key string, key_type int8 (0 group, 1 transaction)
 *   response: throttle_time_ms int32, error_code int16, error_message nullable string,
 *             node_id int32, host string, port int32
 */
export const v1: VersionCodec<FindCoordinatorRequest, FindCoordinatorResponse> = {
  decode: (r) => ({ key: r.string(), keyType: r.int8() }),
  encode(w, res) {
    w.int32(0)
      .int16(res.errorCode)
      .string(res.errorMessage)
      .int32(res.nodeId)
      .string(res.host)
      .int32(res.port);
  },
};
