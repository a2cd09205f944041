import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../../kafka-protocol/error-codes.ts';
import { defineApi } from '../api.ts';
import { v1 } from './v1.ts';

const LATEST = -1;
const EARLIEST = -2;

/** -1 → high watermark, -2 → log start, else the first batch with max_timestamp >= the time. */
export const listOffsets = defineApi({
  key: ApiKey.ListOffsets,
  name: 'ListOffsets',
  versions: { 1: v1 },
  handle: (req, ctx) => ({
    topics: req.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((p) => {
        const log = ctx.broker.topics.partition(t.name, p.index);
        if (!log)
          return {
            index: p.index,
            errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
            timestamp: -1,
            offset: -1,
          };
        if (p.timestamp === LATEST)
          return { index: p.index, errorCode: 0, timestamp: -1, offset: log.highWatermark };
        if (p.timestamp === EARLIEST)
          return { index: p.index, errorCode: 0, timestamp: -1, offset: log.logStartOffset };
        const offset = log.offsetForTimestamp(p.timestamp);
        return { index: p.index, errorCode: 0, timestamp: offset < 0 ? -1 : p.timestamp, offset };
      }),
    })),
  }),
});
