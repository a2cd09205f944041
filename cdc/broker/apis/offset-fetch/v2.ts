import type { VersionCodec } from '../api.ts';
import { type OffsetFetchRequest, type OffsetFetchResponse, v1 } from './v1.ts';

/**
 * OffsetFetch v2
 *   request:  as v1
 *   response: v1's topics, then error_code int16
 */
export const v2: VersionCodec<OffsetFetchRequest, OffsetFetchResponse> = {
  decode: v1.decode,
  encode(w, res) {
    v1.encode(w, res);
    w.int16(res.errorCode);
  },
};
