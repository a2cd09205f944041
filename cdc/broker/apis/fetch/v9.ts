import type { VersionCodec } from '../api.ts';
import type { FetchRequest, FetchResponse } from './v4.ts';
import { decodeSessionFetch, v7 } from './v7.ts';

/**
 * Fetch v9
 *   request:  v7, each partition gains current_leader_epoch int32 before fetch_offset (KIP-320)
 *   response: as v7
 */
export const v9: VersionCodec<FetchRequest, FetchResponse> = {
  decode: (r) => decodeSessionFetch(r, true),
  encode: v7.encode,
};
