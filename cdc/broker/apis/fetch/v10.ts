import type { VersionCodec } from '../api.ts';
import type { FetchRequest, FetchResponse } from './v4.ts';
import { v9 } from './v9.ts';

/**
 * Fetch v10: as v9. The version says the client reads zstd batches (KIP-110): below it a
 * partition whose answer would carry one gets UNSUPPORTED_COMPRESSION_TYPE instead, as in Kafka.
 * librdkafka 2.0.2 compresses with zstd only when the broker's Fetch range reaches 10.
 */
export const v10: VersionCodec<FetchRequest, FetchResponse> = v9;
