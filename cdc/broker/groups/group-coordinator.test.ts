import { describe, expect, it } from 'vitest';
import { createLogger } from '../../../lib/log.ts';
import { ErrorCode } from '../../kafka-protocol/error-codes.ts';
import { GroupCoordinator, type JoinRequest } from './group-coordinator.ts';

const coordinator = () =>
  new GroupCoordinator({ minSessionTimeoutMs: 100, maxSessionTimeoutMs: 60_000, log: createLogger('test') });
const join = (over: Partial<JoinRequest> = {}): JoinRequest => ({
  groupId: 'g',
  sessionTimeoutMs: 10_000,
  rebalanceTimeoutMs: 2000,
  memberId: '',
  protocolType: 'consumer',
  protocols: [{ name: 'RoundRobinAssigner', metadata: Buffer.from('m') }],
  clientId: 'c',
  clientHost: '/127.0.0.1',
  ...over,
});

describe('GroupCoordinator', () => {
  it('first member leads generation 1; a second join rebalances and both get generation 2', async () => {
    const c = coordinator();
    const a = await c.join(join());
    expect(a).toMatchObject({ errorCode: 0, generationId: 1, leaderId: a.memberId });
    expect(
      (await c.sync('g', 1, a.memberId, new Map([[a.memberId, Buffer.from('A')]]))).assignment.toString(),
    ).toBe('A');
    const bJoin = c.join(join({ clientId: 'b' }));
    expect(c.heartbeat('g', 1, a.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
    const a2 = await c.join(join({ memberId: a.memberId }));
    const b = await bJoin;
    expect([a2.generationId, b.generationId]).toEqual([2, 2]);
    expect(a2.members).toHaveLength(2); // the leader gets the member list
    expect(b.members).toHaveLength(0);
    const bSync = c.sync('g', 2, b.memberId, new Map());
    await c.sync('g', 2, a.memberId, new Map([[b.memberId, Buffer.from('B')]]));
    expect((await bSync).assignment.toString()).toBe('B');
    expect(c.get('g')!.state).toBe('Stable');
    c.shutdown();
  });

  it('answers stale generations, unknown members and foreign protocols with Kafka codes', async () => {
    const c = coordinator();
    const a = await c.join(join());
    expect(c.heartbeat('g', 0, a.memberId)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(c.heartbeat('g', 1, 'nobody')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    expect(c.validateCommit('g', 7, a.memberId)).toBe(ErrorCode.ILLEGAL_GENERATION);
    expect(c.validateCommit('g', 1, a.memberId)).toBe(ErrorCode.REBALANCE_IN_PROGRESS); // awaiting sync
    expect((await c.join(join({ memberId: 'ghost' }))).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    const kcat = await c.join(join({ protocols: [{ name: 'range', metadata: Buffer.alloc(0) }] }));
    expect(kcat.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
    expect((await c.join(join({ groupId: 'h', sessionTimeoutMs: 10 }))).errorCode).toBe(
      ErrorCode.INVALID_SESSION_TIMEOUT,
    );
    expect(c.validateCommit('empty-group', -1, '')).toBe(0); // standalone commit on an empty group
    c.shutdown();
  });

  it('removes a member whose session expires and rebalances the rest', async () => {
    const c = coordinator();
    const a = await c.join(join({ sessionTimeoutMs: 150 }));
    await c.sync('g', 1, a.memberId, new Map());
    await new Promise((r) => setTimeout(r, 250));
    expect(c.get('g')!.members.size).toBe(0);
    expect(c.get('g')!.state).toBe('Empty');
    expect(c.heartbeat('g', 1, a.memberId)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
    c.shutdown();
  });

  it('drops members that do not rejoin within the rebalance timeout', async () => {
    const c = coordinator();
    const a = await c.join(join({ rebalanceTimeoutMs: 100 }));
    await c.sync('g', 1, a.memberId, new Map());
    const b = await c.join(join({ clientId: 'b', rebalanceTimeoutMs: 100 })); // a never rejoins
    expect(b).toMatchObject({ errorCode: 0, generationId: 2, leaderId: b.memberId });
    expect([...c.get('g')!.members.keys()]).toEqual([b.memberId]);
    c.shutdown();
  });
});
