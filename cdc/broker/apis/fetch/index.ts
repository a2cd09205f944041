import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../../kafka-protocol/error-codes.ts';
import type { BrokerContext } from '../../broker-context.ts';
import { defineApi } from '../api.ts';
import { type FetchRequest, type FetchResponse, v4 } from './v4.ts';

/**
 * Reads whole stored batches (the first always whole, KIP-74). When fewer than min_bytes are
 * available it parks until a produce to one of the partitions, max_wait_ms, or the socket
 * closing; a parked fetch never blocks other connections.
 */
export const fetch = defineApi({
  key: ApiKey.Fetch,
  name: 'Fetch',
  versions: { 4: v4 },
  advertisedMin: 0,
  handle(req, ctx) {
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
            chunks: [],
          };
        }
        const hw = log.highWatermark;
        if (p.fetchOffset > hw || p.fetchOffset < log.logStartOffset) {
          hasError = true;
          return { index: p.index, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: hw, chunks: [] };
        }
        if (p.fetchOffset === hw) return { index: p.index, errorCode: 0, highWatermark: hw, chunks: [] };
        // The first batch of a partition comes whole whatever the limits; then stay within them.
        const read = budget > 0 || bytes === 0 ? log.read(p.fetchOffset, Math.min(p.maxBytes, budget)) : none;
        bytes += read.bytes;
        budget -= read.bytes;
        return { index: p.index, errorCode: 0, highWatermark: hw, chunks: read.chunks };
      }),
    })),
  };
  return { response, bytes, hasError };
}
