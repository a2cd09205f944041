import type { VersionCodec } from '../api.ts';
import type { ProduceRequest, ProduceResponse } from './v3.ts';
import { v6 } from './v6.ts';

/**
 * Produce v7: as v6. The version says the client may send zstd batches (KIP-110); below it a
 * zstd batch is refused with UNSUPPORTED_COMPRESSION_TYPE. librdkafka 2.0.2 compresses with
 * zstd only when the broker's Produce range reaches 7 (and Fetch 10).
 */
export const v7: VersionCodec<ProduceRequest, ProduceResponse> = v6;
