import type { VersionCodec } from '../api.ts';
import type { FetchRequest, FetchResponse } from './v4.ts';
import { v7 } from './v7.ts';

/** Fetch v8: as v7 (the client honours throttle_time_ms before sending again). */
export const v8: VersionCodec<FetchRequest, FetchResponse> = v7;
