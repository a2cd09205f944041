import type { VersionCodec } from '../api.ts';
import type { FetchRequest, FetchResponse } from './v4.ts';
import { v5 } from './v5.ts';

/** Fetch v6: as v5 (the client knows KAFKA_STORAGE_ERROR). */
export const v6: VersionCodec<FetchRequest, FetchResponse> = v5;
