import type { VersionCodec } from '../api.ts';
import type { ProduceRequest, ProduceResponse } from './v3.ts';
import { v4 } from './v4.ts';

/**
 * Produce v5
 *   request:  as v3
 *   response: topics [name string, partitions [index int32, error_code int16, base_offset int64,
 *                                              log_append_time_ms int64, log_start_offset int64]],
 *             throttle_time_ms int32
 */
export const v5: VersionCodec<ProduceRequest, ProduceResponse> = {
  decode: v4.decode,
  encode(w, res) {
    w.array(res.topics, (w, t) =>
      w
        .string(t.name)
        .array(t.partitions, (w, p) =>
          w.int32(p.index).int16(p.errorCode).int64(p.baseOffset).int64(-1).int64(p.logStartOffset),
        ),
    );
    w.int32(0);
  },
};
