import type { VersionCodec } from '../api.ts';
import type { MetadataRequest, MetadataResponse } from './v0.ts';
import { v2 } from './v2.ts';

/**
 * Metadata v3
 *   request:  as v1
 *   response: throttle_time_ms int32, then the v2 fields
 */
export const v3: VersionCodec<MetadataRequest, MetadataResponse> = {
  decode: v2.decode,
  encode(w, res) {
    w.int32(0);
    v2.encode(w, res);
  },
};
