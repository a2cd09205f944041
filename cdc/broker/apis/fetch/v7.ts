import type { Reader } from '../../../kafka-protocol/reader.ts';
import type { VersionCodec } from '../api.ts';
import { type FetchRequest, type FetchResponse, writePartition } from './v4.ts';

/**
 * Fetch v7 (fetch sessions, KIP-227)
 *   request:  replica_id int32, max_wait_ms int32, min_bytes int32, max_bytes int32,
 *             isolation_level int8, session_id int32, session_epoch int32,
 *             topics [topic string, partitions [partition int32, fetch_offset int64,
 *                                               log_start_offset int64, partition_max_bytes int32]],
 *             forgotten_topics_data [topic string, partitions [int32]]
 *   response: throttle_time_ms int32, error_code int16, session_id int32, responses (as v5)
 * This broker keeps no sessions: it answers session_id 0, which tells a client asking for a new
 * session (epoch 0) to go on with full fetches, as Kafka does when its session cache is full.
 */
export function decodeSessionFetch(r: Reader, leaderEpochs: boolean): FetchRequest {
  r.int32();
  const maxWaitMs = r.int32();
  const minBytes = r.int32();
  const maxBytes = r.int32();
  r.int8();
  const sessionId = r.int32();
  const sessionEpoch = r.int32();
  const topics = r.array((r) => ({
    name: r.string(),
    partitions: r.array((r) => {
      const index = r.int32();
      if (leaderEpochs) r.int32(); // current_leader_epoch (v9+): one node, nothing to fence
      const fetchOffset = r.int64();
      r.int64();
      return { index, fetchOffset, maxBytes: r.int32() };
    }),
  }));
  r.array((r) => ({ name: r.string(), partitions: r.array((r) => r.int32()) }));
  return { maxWaitMs, minBytes, maxBytes, sessionId, sessionEpoch, topics };
}

export const v7: VersionCodec<FetchRequest, FetchResponse> = {
  decode: (r) => decodeSessionFetch(r, false),
  encode(w, res) {
    w.int32(0).int16(res.errorCode).int32(res.sessionId);
    w.array(res.topics, (w, t) => w.string(t.name).array(t.partitions, (w, p) => writePartition(w, p, true)));
  },
};
