import type { ApiDefinition } from './api.ts';
import { apiVersions } from './api-versions/index.ts';
import { createTopics } from './create-topics/index.ts';
import { deleteTopics } from './delete-topics/index.ts';
import { describeGroups } from './describe-groups/index.ts';
import { fetch } from './fetch/index.ts';
import { findCoordinator } from './find-coordinator/index.ts';
import { heartbeat } from './heartbeat/index.ts';
import { joinGroup } from './join-group/index.ts';
import { leaveGroup } from './leave-group/index.ts';
import { listGroups } from './list-groups/index.ts';
import { listOffsets } from './list-offsets/index.ts';
import { metadata } from './metadata/index.ts';
import { offsetCommit } from './offset-commit/index.ts';
import { offsetFetch } from './offset-fetch/index.ts';
import { produce } from './produce/index.ts';
import { syncGroup } from './sync-group/index.ts';

/** Every API the broker implements; ApiVersions advertises exactly this table. */
export const apis: ReadonlyMap<number, ApiDefinition> = new Map(
  [
    apiVersions,
    metadata,
    produce,
    fetch,
    listOffsets,
    findCoordinator,
    joinGroup,
    syncGroup,
    heartbeat,
    leaveGroup,
    offsetCommit,
    offsetFetch,
    createTopics,
    deleteTopics,
    listGroups,
    describeGroups,
  ].map((api) => [api.key, api]),
);

/**
 * The advertised ranges. Each starts at 0: librdkafka 2.0.2 switches features (consumer
 * groups, record batches) on only when the range overlaps old versions, and both clients
 * then pick the highest version in common, which is the one implemented. A request for a
 * lower version still gets UNSUPPORTED_VERSION (see docs/broker.md).
 */
export function apiTable(): Array<{ key: number; min: number; max: number }> {
  return [...apis.values()]
    .map((api) => ({ key: api.key, min: 0, max: Math.max(...Object.keys(api.versions).map(Number)) }))
    .sort((a, b) => a.key - b.key);
}
