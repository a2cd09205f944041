import { randomUUID } from 'node:crypto';
import type { Logger } from '../../../lib/log.ts';
import { ErrorCode } from '../../kafka-protocol/error-codes.ts';
import { Group, type JoinResult, type Member, type SyncResult } from './group.ts';
import { maybeCompleteJoin, prepareRebalance, type RebalanceHooks } from './rebalance.ts';

export interface CoordinatorOptions {
  minSessionTimeoutMs: number;
  maxSessionTimeoutMs: number;
  log: Logger;
}

export interface JoinRequest {
  groupId: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  memberId: string;
  protocolType: string;
  protocols: Array<{ name: string; metadata: Buffer }>;
  clientId: string;
  clientHost: string;
}

const EMPTY = Buffer.alloc(0);
const joinError = (errorCode: number, memberId: string): JoinResult => ({
  errorCode,
  generationId: -1,
  protocolName: '',
  leaderId: '',
  memberId,
  members: [],
});

/**
 * Kafka's classic group coordinator for one node: Empty → PreparingRebalance →
 * CompletingRebalance → Stable. Everything runs on the event loop, so each group's state
 * machine is single-threaded; a held Join/Sync is answered exactly once.
 */
export class GroupCoordinator {
  private readonly groups = new Map<string, Group>();
  private readonly hooks: RebalanceHooks;

  constructor(private readonly options: CoordinatorOptions) {
    this.hooks = { log: options.log, touch: (m) => this.touch(m) };
  }

  get(groupId: string): Group | undefined {
    return this.groups.get(groupId);
  }

  list(): Group[] {
    return [...this.groups.values()];
  }

  join(req: JoinRequest): Promise<JoinResult> {
    if (!req.groupId) return Promise.resolve(joinError(ErrorCode.INVALID_GROUP_ID, req.memberId));
    const { minSessionTimeoutMs: min, maxSessionTimeoutMs: max } = this.options;
    if (req.sessionTimeoutMs < min || req.sessionTimeoutMs > max) {
      return Promise.resolve(joinError(ErrorCode.INVALID_SESSION_TIMEOUT, req.memberId));
    }
    let group = this.groups.get(req.groupId);
    if (!group) {
      group = new Group(req.groupId);
      this.groups.set(req.groupId, group);
    }
    if (req.memberId !== '' && !group.members.has(req.memberId)) {
      return Promise.resolve(joinError(ErrorCode.UNKNOWN_MEMBER_ID, req.memberId));
    }
    const others = [...group.members.keys()].filter((id) => id !== req.memberId).length;
    if (
      req.protocols.length === 0 ||
      (others > 0 &&
        (req.protocolType !== group.protocolType ||
          group.commonProtocols(
            req.protocols.map((p) => p.name),
            req.memberId,
          ).length === 0))
    ) {
      return Promise.resolve(joinError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, req.memberId));
    }
    if (others === 0) group.protocolType = req.protocolType;
    const memberId = req.memberId || `${req.clientId || 'member'}-${randomUUID()}`;
    let member = group.members.get(memberId);
    if (!member) {
      member = {
        id: memberId,
        clientId: req.clientId,
        clientHost: req.clientHost,
        assignment: EMPTY,
      } as Member;
      group.members.set(memberId, member);
      this.options.log.info({ group: group.id, member: memberId }, 'member joined');
    }
    member.sessionTimeoutMs = req.sessionTimeoutMs;
    member.rebalanceTimeoutMs = req.rebalanceTimeoutMs;
    member.protocols = req.protocols;
    const g = group;
    const m = member;
    return new Promise<JoinResult>((resolve) => {
      m.joinReply?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, m.id));
      m.joinReply = resolve;
      clearTimeout(m.sessionTimer); // a held join does not expire
      if (g.state !== 'PreparingRebalance') prepareRebalance(g, this.hooks);
      maybeCompleteJoin(g, this.hooks);
    });
  }

  sync(
    groupId: string,
    generation: number,
    memberId: string,
    assignments: Map<string, Buffer>,
  ): Promise<SyncResult> {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member)
      return Promise.resolve({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    if (generation !== group.generation) {
      return Promise.resolve({ errorCode: ErrorCode.ILLEGAL_GENERATION, assignment: EMPTY });
    }
    this.touch(member);
    if (group.state === 'PreparingRebalance') {
      return Promise.resolve({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
    }
    if (group.state === 'Stable') return Promise.resolve({ errorCode: 0, assignment: member.assignment });
    return new Promise<SyncResult>((resolve) => {
      member.syncReply?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
      member.syncReply = resolve;
      if (memberId !== group.leaderId) return;
      for (const m of group.members.values()) m.assignment = assignments.get(m.id) ?? EMPTY;
      group.state = 'Stable';
      this.options.log.info({ group: groupId, generation }, 'group stable');
      for (const m of group.members.values()) {
        const reply = m.syncReply;
        m.syncReply = undefined;
        reply?.({ errorCode: 0, assignment: m.assignment });
      }
    });
  }

  heartbeat(groupId: string, generation: number, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generation !== group.generation) return ErrorCode.ILLEGAL_GENERATION;
    this.touch(member);
    return group.state === 'PreparingRebalance' ? ErrorCode.REBALANCE_IN_PROGRESS : 0;
  }

  leave(groupId: string, memberId: string): number {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    this.options.log.info({ group: groupId, member: memberId }, 'member left');
    this.remove(group, member);
    return 0;
  }

  /** Kafka's OffsetCommit checks; standalone commits (generation -1, no member) need an empty group. */
  validateCommit(groupId: string, generation: number, memberId: string): number {
    const group = this.groups.get(groupId);
    if (generation < 0 && memberId === '') {
      return !group || group.members.size === 0 ? 0 : ErrorCode.UNKNOWN_MEMBER_ID;
    }
    const member = group?.members.get(memberId);
    if (!group || !member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (generation !== group.generation) return ErrorCode.ILLEGAL_GENERATION;
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    this.touch(member);
    return 0;
  }

  /** Any request from a member restarts its session timer. */
  private touch(member: Member): void {
    clearTimeout(member.sessionTimer);
    if (member.joinReply) return;
    member.sessionTimer = setTimeout(() => {
      for (const group of this.groups.values()) {
        if (group.members.get(member.id) === member) {
          this.options.log.info({ group: group.id, member: member.id }, 'session timed out; member removed');
          this.remove(group, member);
        }
      }
    }, member.sessionTimeoutMs);
  }

  private remove(group: Group, member: Member): void {
    clearTimeout(member.sessionTimer);
    group.members.delete(member.id);
    member.joinReply?.(joinError(ErrorCode.UNKNOWN_MEMBER_ID, member.id));
    member.syncReply?.({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID, assignment: EMPTY });
    if (group.leaderId === member.id) group.leaderId = null;
    if (group.members.size === 0) {
      clearTimeout(group.rebalanceTimer);
      group.state = 'Empty';
      group.generation++;
      return;
    }
    if (group.state !== 'PreparingRebalance') prepareRebalance(group, this.hooks);
    maybeCompleteJoin(group, this.hooks);
  }

  /** Stops timers and answers held joins/syncs (COORDINATOR_NOT_AVAILABLE: clients retry elsewhere/later). */
  shutdown(): void {
    for (const group of this.groups.values()) {
      clearTimeout(group.rebalanceTimer);
      for (const m of group.members.values()) {
        clearTimeout(m.sessionTimer);
        const join = m.joinReply;
        const sync = m.syncReply;
        m.joinReply = undefined;
        m.syncReply = undefined;
        join?.(joinError(ErrorCode.COORDINATOR_NOT_AVAILABLE, m.id));
        sync?.({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, assignment: EMPTY });
      }
    }
  }
}
