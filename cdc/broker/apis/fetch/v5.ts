import type { VersionCodec } from '../api.ts';
import { type FetchRequest, type FetchResponse, writePartition } from './v4.ts';

/**
 * Fetch v5
 *   request:  v4, each partition gains log_start_offset int64 (followers only; clients send -1)
 *             [partition int32, fetch_offset int64, log_start_offset int64, partition_max_bytes int32]
 *   response: v4, each partition gains log_start_offset int64 after last_stable_offset
 */
export const v5: VersionCodec<FetchRequest, FetchResponse> = {
  decode(r) {
    r.int32();
    const maxWaitMs = r.int32();
    const minBytes = r.int32();
    const maxBytes = r.int32();
    r.int8();
    const topics = r.array((r) => ({
      name: r.string(),
      partitions: r.array((r) => {
        const index = r.int32();
        const fetchOffset = r.int64();
        r.int64();
        return { index, fetchOffset, maxBytes: r.int32() };
      }),
    }));
    return { maxWaitMs, minBytes, maxBytes, sessionId: 0, sessionEpoch: -1, topics };
  },
  encode(w, res) {
    w.int32(0);
    w.array(res.topics, (w, t) => w.string(t.name).array(t.partitions, (w, p) => writePartition(w, p, true)));
  },
};
