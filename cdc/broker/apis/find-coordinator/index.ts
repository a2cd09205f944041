import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { ErrorCode } from '../../../kafka-protocol/error-codes.ts';
import { defineApi } from '../api.ts';
import { v0 } from './v0.ts';
import { v1 } from './v1.ts';

/** This node coordinates every group (same id, host and port as in Metadata); no transactions. */
export const findCoordinator = defineApi({
  key: ApiKey.FindCoordinator,
  name: 'FindCoordinator',
  versions: { 0: v0, 1: v1 },
  handle(req, ctx) {
    const { nodeId, advertisedHost: host, advertisedPort: port } = ctx.broker;
    if (req.keyType !== 0) {
      return {
        errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE,
        errorMessage: 'transactions are not supported by this broker',
        nodeId: -1,
        host: '',
        port: -1,
      };
    }
    return { errorCode: 0, errorMessage: null, nodeId, host, port };
  },
});
