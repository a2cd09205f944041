import type { VersionCodec } from '../api.ts';
import type { ApiVersionsResponse } from './v0.ts';
import { v1 } from './v1.ts';

/**
 * ApiVersions v2
 *   request:  (empty)
 *   response: as v1 (the version number only tells the broker the client handles throttling)
 */
export const v2: VersionCodec<Record<string, never>, ApiVersionsResponse> = v1;
