import type { VersionCodec } from '../api.ts';

/**
 * ApiVersions v0
 *   request:  (empty)
 *   response: error_code int16, api_keys [api_key int16, min_version int16, max_version int16]
 */
export interface ApiVersionsResponse {
  errorCode: number;
  apiKeys: Array<{ key: number; min: number; max: number }>;
  throttleTimeMs: number;
}

export const v0: VersionCodec<Record<string, never>, ApiVersionsResponse> = {
  decode: () => ({}),
  encode(w, res) {
    w.int16(res.errorCode).array(res.apiKeys, (w, a) => w.int16(a.key).int16(a.min).int16(a.max));
  },
};
