import { ApiKey } from '../../../kafka-protocol/api-keys.ts';
import { defineApi } from '../api.ts';
import { v0 } from './v0.ts';
import { v1 } from './v1.ts';
import { v2 } from './v2.ts';

/** Answers from the broker's table of implemented APIs (built from the API registry). */
export const apiVersions = defineApi({
  key: ApiKey.ApiVersions,
  name: 'ApiVersions',
  versions: { 0: v0, 1: v1, 2: v2 },
  handle: (_req, ctx) => ({ errorCode: 0, apiKeys: ctx.broker.apiTable, throttleTimeMs: 0 }),
});
