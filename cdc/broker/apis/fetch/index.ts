import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../../kafka-protocol/error-codes.ts';
import type { BrokerContext } from '../../broker-context.ts';
import { defineApi } from '../api.ts';
import { type FetchRequest, type FetchResponse, v4 } from './v4.ts';
import { v5 } from './v5.ts';
import { v6 } from './v6.ts';
import { v7 } from './v7.ts';
import { v8 } from './v8.ts';
import { v9 } from './v9.ts';
import { v10 } from './v10.ts';

/**
 * Reads whole stored batches (the first always whole, KIP-74). When fewer than min_bytes are
 * available it parks until a produce to one of the partitions, max_wait_ms, or the socket
 * closing; a parked fetch never blocks other connections. Versions below 4 would need the
 * legacy message-set format; Kafka 4 no longer serves them either (KIP-896), and like Kafka the
 * range starts at 4. Fetch sessions are not kept: every fetch is a full one (see v7). Stored
 * batches go out as they are whatever the version asked: Kafka 4 too sends zstd batches to
 * Fetch v4 (checked with kafka-python 2.0, which fetches at v4 and reads them).
 */
export const fetch = defineApi({
  key: ApiKey.Fetch,
  name: 'Fetch',
  versions: { 4: v4, 5: v5, 6: v6, 7: v7, 8: v8, 9: v9, 10: v10 },
  handle(req, ctx) {
    if (req.sessionId !== 0) {
      // A session this broker never created (it answers every session request with id 0).
      return { errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, topics: [] };
    }
    const first = collect(req, ctx.broker);
    if (first.bytes >= req.minBytes || first.hasError || req.maxWaitMs <= 0 || ctx.closed.aborted) {
      return first.response;
    }
    return new Promise<FetchResponse>((resolve) => {
      const unsubscribe: Array<() => void> = [];
      let done = false;
      const finish = (res: FetchResponse) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        for (const u of unsubscribe) u();
        ctx.closed.removeEventListener('abort', onClose);
        resolve(res);
      };
      const onClose = () => finish(first.response);
      const wake = () => {
        if (done) return;
        const next = collect(req, ctx.broker);
        if (next.bytes >= req.minBytes || next.hasError) finish(next.response);
      };
      const timer = setTimeout(() => finish(collect(req, ctx.broker).response), req.maxWaitMs);
      ctx.closed.addEventListener('abort', onClose);
      for (const t of req.topics) {
        for (const p of t.partitions) {
          const log = ctx.broker.topics.partition(t.name, p.index);
          // Wake on the next event loop turn so a producer's whole request is appended first.
          if (log) unsubscribe.push(log.onAppend(() => setImmediate(wake)));
        }
      }
    });
  },
});

const none = { chunks: [] as Buffer[], bytes: 0 };

function collect(req: FetchRequest, broker: BrokerContext) {
  let budget = req.maxBytes;
  let bytes = 0;
  let hasError = false;
  const response: FetchResponse = {
    errorCode: 0,
    sessionId: 0,
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const log = broker.topics.partition(t.name, p.index);
        if (!log) {
          hasError = true;
          return {
            index: p.index,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            highWatermark: -1,
            logStartOffset: -1,
            chunks: [],
          };
        }
        const hw = log.highWatermark;
        const at = { index: p.index, highWatermark: hw, logStartOffset: log.logStartOffset };
        if (p.fetchOffset > hw || p.fetchOffset < log.logStartOffset) {
          hasError = true;
          return { ...at, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, chunks: [] };
        }
        if (p.fetchOffset === hw) return { ...at, errorCode: 0, chunks: [] };
        // The first batch of a partition comes whole whatever the limits; then stay within them.
        const read = budget > 0 || bytes === 0 ? log.read(p.fetchOffset, Math.min(p.maxBytes, budget)) : none;
        bytes += read.bytes;
        budget -= read.bytes;
        return { ...at, errorCode: 0, chunks: read.chunks };
      }),
    })),
  };
  return { response, bytes, hasError };
}
