/** Classic consumer-group states, as Kafka names them (DescribeGroups returns these strings). */
export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolName: string;
  leaderId: string;
  memberId: string;
  members: Array<{ memberId: string; metadata: Buffer }>;
}

export interface SyncResult {
  errorCode: number;
  assignment: Buffer;
}

export interface Member {
  id: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: Array<{ name: string; metadata: Buffer }>;
  assignment: Buffer;
  /** Set while its JoinGroup is held until the join phase completes. */
  joinReply?: (r: JoinResult) => void;
  /** Set while its SyncGroup waits for the leader's assignment. */
  syncReply?: (r: SyncResult) => void;
  sessionTimer?: NodeJS.Timeout;
}

/** One group's in-memory state; members are not persisted (clients rejoin after a restart). */
export class Group {
  state: GroupState = 'Empty';
  generation = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, Member>();
  rebalanceTimer?: NodeJS.Timeout;

  constructor(readonly id: string) {}

  /** Protocol names every current member (except `exclude`) supports, in `candidates` order. */
  commonProtocols(candidates: string[], exclude?: string): string[] {
    return candidates.filter((name) =>
      [...this.members.values()].every((m) => m.id === exclude || m.protocols.some((p) => p.name === name)),
    );
  }

  /** Each member votes for its first supported choice; most votes wins (Kafka's rule). */
  electProtocol(): string | null {
    const first = [...this.members.values()][0];
    if (!first) return null;
    const common = this.commonProtocols(first.protocols.map((p) => p.name));
    if (common.length === 0) return null;
    const votes = new Map<string, number>();
    for (const m of this.members.values()) {
      const choice = m.protocols.find((p) => common.includes(p.name))!.name;
      votes.set(choice, (votes.get(choice) ?? 0) + 1);
    }
    return [...votes.entries()].sort((a, b) => b[1] - a[1])[0]![0];
  }
}
