import type { VersionCodec } from '../api.ts';
import { type ApiVersionsResponse, v0 } from './v0.ts';

/**
 * ApiVersions v1
 *   request:  (empty)
 *   response: v0 fields, throttle_time_ms int32
 */
export const v1: VersionCodec<Record<string, never>, ApiVersionsResponse> = {
  decode: v0.decode,
  encode(w, res) {
    v0.encode(w, res);
    w.int32(res.throttleTimeMs);
  },
};
