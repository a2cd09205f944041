import type { VersionCodec } from '../api.ts';
import type { MetadataRequest, MetadataResponse } from './v0.ts';
import { v1, writeBrokers, writeTopics } from './v1.ts';

/**
 * Metadata v2
 *   request:  as v1
 *   response: brokers (as v1), cluster_id nullable string, controller_id int32, topics (as v1)
 */
export const v2: VersionCodec<MetadataRequest, MetadataResponse> = {
  decode: v1.decode,
  encode(w, res) {
    writeBrokers(w, res);
    w.string(res.clusterId).int32(res.controllerId);
    writeTopics(w, res);
  },
};
