import type { VersionCodec } from '../api.ts';
import { type ProduceRequest, type ProduceResponse, v3 } from './v3.ts';

/**
 * Produce v4
 *   request, response: as v3 (the version tells the broker the client knows
 *   KAFKA_STORAGE_ERROR)
 */
export const v4: VersionCodec<ProduceRequest, ProduceResponse> = v3;
