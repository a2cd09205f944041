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
 * The ApiVersions answer: exactly the implemented versions of each API, which must be one
 * contiguous range. librdkafka 2.0.2 enables features only when a range overlaps an old
 * version (consumer groups: FindCoordinator/JoinGroup/SyncGroup/Heartbeat/LeaveGroup v0,
 * OffsetCommit [1,2], OffsetFetch v1; record batches: Produce v3 and Fetch v4; LZ4:
 * FindCoordinator v0; zstd: Produce v7 and Fetch v10), which is why those versions are
 * implemented too.
 */
export function apiTable(): Array<{ key: number; min: number; max: number }> {
  return [...apis.values()]
    .map((api) => {
      const versions = Object.keys(api.versions)
        .map(Number)
        .sort((a, b) => a - b);
      const min = versions[0]!;
      const max = versions.at(-1)!;
      if (max - min + 1 !== versions.length)
        throw new Error(`${api.name}: implemented versions must be contiguous`);
      return { key: api.key, min: api.advertisedMin ?? min, max };
    })
    .sort((a, b) => a.key - b.key);
}
