import type { VersionCodec } from '../api.ts';
import type { FetchRequest, FetchResponse } from './v4.ts';
import { v9 } from './v9.ts';

/**
 * Fetch v10: as v9. The version says the client reads zstd batches (KIP-110); librdkafka 2.0.2
 * compresses with zstd only when the broker's Fetch range reaches 10, and kafka-python 2.0
 * takes a broker without Fetch v10 for one older than Kafka 2.1 and refuses zstd.
 */
export const v10: VersionCodec<FetchRequest, FetchResponse> = v9;
