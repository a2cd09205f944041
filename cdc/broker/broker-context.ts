import type { Logger } from '../../lib/log.ts';
import type { BrokerConfig } from './config.ts';
import type { GroupCoordinator } from './groups/group-coordinator.ts';
import type { OffsetStore } from './groups/offset-store.ts';
import type { TopicStore } from './log/topic-store.ts';

/** What request handlers may use: storage, groups, and how this node is advertised. */
export interface BrokerContext {
  config: BrokerConfig;
  topics: TopicStore;
  groups: GroupCoordinator;
  offsets: OffsetStore;
  log: Logger;
  nodeId: number;
  advertisedHost: string;
  advertisedPort: number;
  /** The ApiVersions answer: every implemented API with its advertised range. */
  apiTable: Array<{ key: number; min: number; max: number }>;
}

/** Per request: the broker plus who asked, and a signal that fires when their socket closes. */
export interface RequestContext {
  broker: BrokerContext;
  apiVersion: number;
  clientId: string;
  clientHost: string;
  closed: AbortSignal;
}
