import type { Logger } from '../../../lib/log.ts';
import { ErrorCode } from '../../kafka-protocol/error-codes.ts';
import type { Group, Member } from './group.ts';

/**
 * The join phase of a rebalance: PreparingRebalance holds every JoinGroup until all members
 * rejoined (or the largest rebalance timeout passed), then completes it for everyone at once.
 */
export interface RebalanceHooks {
  log: Logger;
  /** Restarts a member's session timer. */
  touch(member: Member): void;
}

const EMPTY = Buffer.alloc(0);

export function prepareRebalance(group: Group, hooks: RebalanceHooks): void {
  if (group.state === 'CompletingRebalance') {
    for (const m of group.members.values()) {
      const reply = m.syncReply;
      m.syncReply = undefined;
      reply?.({ errorCode: ErrorCode.REBALANCE_IN_PROGRESS, assignment: EMPTY });
    }
  }
  group.state = 'PreparingRebalance';
  clearTimeout(group.rebalanceTimer);
  const timeout = Math.max(0, ...[...group.members.values()].map((m) => m.rebalanceTimeoutMs || 0));
  group.rebalanceTimer = setTimeout(() => completeJoin(group, hooks), timeout);
  hooks.log.info({ group: group.id, members: group.members.size }, 'rebalance started');
}

export function maybeCompleteJoin(group: Group, hooks: RebalanceHooks): void {
  if (group.state !== 'PreparingRebalance') return;
  if ([...group.members.values()].every((m) => m.joinReply)) completeJoin(group, hooks);
}

/** Ends the join phase: drops members that did not rejoin, bumps the generation, answers held joins. */
export function completeJoin(group: Group, hooks: RebalanceHooks): void {
  clearTimeout(group.rebalanceTimer);
  group.rebalanceTimer = undefined;
  if (group.state !== 'PreparingRebalance') return;
  for (const m of [...group.members.values()]) {
    if (!m.joinReply) {
      hooks.log.info({ group: group.id, member: m.id }, 'member did not rejoin in time; removed');
      clearTimeout(m.sessionTimer);
      group.members.delete(m.id);
    }
  }
  if (group.leaderId && !group.members.has(group.leaderId)) group.leaderId = null;
  if (group.members.size === 0) {
    group.state = 'Empty';
    group.generation++;
    return;
  }
  group.generation++;
  group.protocolName = group.electProtocol();
  const members = [...group.members.values()];
  group.leaderId ??= members[0]!.id;
  group.state = 'CompletingRebalance';
  hooks.log.info(
    { group: group.id, generation: group.generation, members: members.length },
    'join phase complete',
  );
  const list = members.map((m) => ({
    memberId: m.id,
    metadata: m.protocols.find((p) => p.name === group.protocolName)?.metadata ?? EMPTY,
  }));
  for (const m of members) {
    const reply = m.joinReply!;
    m.joinReply = undefined;
    hooks.touch(m);
    reply({
      errorCode: 0,
      generationId: group.generation,
      protocolName: group.protocolName ?? '',
      leaderId: group.leaderId,
      memberId: m.id,
      members: m.id === group.leaderId ? list : [],
    });
  }
}
