import type { VersionCodec } from '../api.ts';
import type { ProduceRequest, ProduceResponse } from './v3.ts';
import { v5 } from './v5.ts';

/** Produce v6: as v5 (the client honours throttle_time_ms before sending again). */
export const v6: VersionCodec<ProduceRequest, ProduceResponse> = v5;
