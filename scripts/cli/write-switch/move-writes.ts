import { SwitchError } from './errors.ts';
import { askOtherWriters, noEvidence, type WriterQuestion } from './other-writers.ts';
import { connectorPosition, legacyBinlogEnd, reached, serviceProgress } from './positions.ts';
import { type RouteWithWrites, WriteAdmin, type WriteSide } from './proxy-admin.ts';
import { ReverseLink } from './reverse-link.ts';

/**
 * `strangler move-writes <route> [--back]`: the guarded write switch. It runs here, in the CLI,
 * against the proxy's primitives (hold, side, release: strangler-proxy/admin/write-endpoints.ts);
 * the proxy bounds every hold itself, so a CLI that dies never leaves writes held.
 *
 * Forward (writes legacy → new):
 *   refuse unless the route's reads are at 100 % new and the writer map saw no other writer of
 *   its owned tables during the window; hold the route's writes; wait for legacy writes in
 *   flight to finish; read legacy's binlog end; wait until the connector has it in Kafka and the
 *   service applied everything up to there; flip the writes to new (still held); give the
 *   service its tables (forward apply off) and turn reverse sync on; release: the held writes
 *   go to new.
 * Back (--back, writes new → legacy):
 *   hold; wait for writes in flight on new; wait until reverse sync applied the service store's
 *   head for the owned tables; flip to legacy (still held); reverse sync off; forward apply back
 *   on; release: the held writes go to legacy.
 * Until the flip, anything that does not come within the bound (catch-up, writes in flight, the
 * count of held writes) aborts: the held writes go to the side they were on and nothing changed.
 * After the flip a failed step is undone (back to the first side, still held) when the hold is
 * still there; when it is not (the bound let the writes go to the new side) the attempt is
 * `incomplete` and running the command again finishes it.
 */

export interface SwitchParts {
  /** The proxy's admin API and its bearer token. */
  admin: string;
  token: string;
  /** The legacy database, or how to find it (asked only when the switch needs it). */
  legacyMysqlUrl: string | (() => Promise<string>);
  connector: string;
  writers: string;
  reverse: string;
  /** The service that owns the route's tables; default: the route's `new` upstream. */
  service?: string;
}

export interface MoveOptions {
  route: string;
  back: boolean;
  /** How long writes may be held before the switch gives up (default 5000). */
  boundMs: number;
  /** The writer map's observation window (a duration back from now or an ISO time). */
  since: string;
  parts: SwitchParts;
  /** Progress lines, as each step starts. */
  say?: (line: string) => void;
}

/** Every attempt's figures: what it printed, and what the proxy logs with the hold's end. */
export interface Attempt {
  route: string;
  direction: 'forward' | 'back';
  from: WriteSide;
  to: WriteSide;
  outcome: 'switched' | 'completed' | 'aborted' | 'refused' | 'incomplete';
  reason?: string;
  code?: string;
  tables: string[];
  boundMs: number;
  startedAt: string;
  /** Hold to release, as the proxy measured it; the writes that waited in it and the longest wait. */
  holdMs?: number;
  writesHeld?: number;
  maxWaitMs?: number;
  /** Writes in flight on the first side finishing; catch-up (position → applied); flip to release. */
  drainMs?: number;
  catchUpMs?: number;
  commitMs?: number;
  /** Legacy's binlog end the service caught up to (forward), or the store's head reverse sync applied (back). */
  position?: string | Record<string, string | null>;
  totalMs?: number;
}

const pollMs = 20;
/** The proxy lets held writes go by itself this long after the switch's bound. */
export const proxyBoundMarginMs = 1000;
/** How long the writer map is asked before anything is held, for it to count every change. */
const preCheckMs = 5000;

class Abort extends Error {}

export async function moveWrites(options: MoveOptions): Promise<Attempt> {
  const { parts, boundMs } = options;
  const say = options.say ?? (() => {});
  const t0 = performance.now();
  const proxy = new WriteAdmin(parts.admin, parts.token);
  const { route, flag } = await proxy.route(options.route);
  const spec = checkedRoute(options.route, route);
  const to: WriteSide = options.back ? 'legacy' : 'new';
  const from: WriteSide = options.back ? 'new' : 'legacy';
  const tables = spec.owns;
  const link = new ReverseLink(parts.service ?? spec.new ?? '', parts.reverse);
  const attempt: Attempt = {
    route: spec.id,
    direction: options.back ? 'back' : 'forward',
    from,
    to,
    outcome: 'refused',
    tables,
    boundMs,
    startedAt: new Date().toISOString(),
  };

  const status = await proxy.writes(spec.id);
  if (status.side === to) return finish(attempt, link, tables, say, t0);
  let writerQuestion: WriterQuestion | undefined;
  let writersClear = true;

  // refusals: nothing is held yet, nothing changes
  if (!options.back) {
    if (!(flag.mode === 'new' || (flag.mode === 'canary' && flag.percent >= 100)))
      throw new SwitchError(
        'SWITCH_ERR_READS_NOT_ON_NEW',
        `route "${spec.id}"'s reads are at ${flag.mode}${flag.mode === 'canary' ? ` ${flag.percent} %` : ''}, not 100 % new: run strangler shift ${spec.id} new first`,
      );
    say(`writer map: who else wrote ${tables.join(', ')} since ${options.since}`);
    writerQuestion = { writersUrl: parts.writers, route: spec, since: options.since };
    writersClear = await writerMapSettles(writerQuestion, preCheckMs);
  }
  // the connector answers before anything is held (a dead one would only show as an abort);
  // ownership and reverse sync are asked at the commit, where a failure is undone
  if (!options.back) await connectorPosition(parts.connector);

  say(`hold ${spec.id}'s writes (bound ${boundMs} ms)`);
  // the proxy's own bound is the floor for a CLI that dies: a little past the one honoured here,
  // so a live switch always ends its hold itself, with its figures
  const hold = await proxy.hold(spec.id, boundMs + proxyBoundMarginMs);
  const deadline = performance.now() + boundMs;
  try {
    const tDrain = performance.now();
    await until(deadline, `writes in flight on ${from} to finish`, async () => {
      const s = await proxy.writes(spec.id);
      if (s.hold?.overflow) throw new Abort('more writes waited than PROXY_WRITE_HOLD_MAX_REQUESTS allows');
      return s.inFlight[from] === 0;
    });
    attempt.drainMs = ms(tDrain);
    // the writer map (when the route's own writes kept it behind) and the catch-up wait for the
    // same pipeline: asked side by side; the first to fail ends the other
    const stop = { done: false };
    const tCatch = performance.now();
    await Promise.all([
      !writersClear && writerQuestion ? writerMapUnderHold(writerQuestion, deadline, stop) : undefined,
      options.back
        ? reverseCaughtUp(link, tables, deadline, stop, attempt, say)
        : storeCaughtUp(parts, link, deadline, stop, attempt, say),
    ]).finally(() => {
      stop.done = true;
    });
    attempt.catchUpMs = ms(tCatch);
    if ((await proxy.writes(spec.id)).hold?.overflow)
      throw new Abort('more writes waited than PROXY_WRITE_HOLD_MAX_REQUESTS allows');
  } catch (err) {
    const reason = (err as Error).message;
    attempt.outcome = 'aborted';
    attempt.reason = reason;
    attempt.code = (err as { code?: string }).code;
    say(`abort: ${reason}; the held writes go to ${from}`);
    await endHold(proxy, spec.id, hold, attempt, t0);
    return attempt;
  }

  // the flip: from here the writes are meant for `to`
  const tCommit = performance.now();
  if (!(await proxy.flip(spec.id, hold, to))) {
    attempt.outcome = 'aborted';
    attempt.reason = `the hold ran out its ${boundMs} ms bound before the flip: the held writes went to ${from}`;
    await endHold(proxy, spec.id, hold, attempt, t0);
    return attempt;
  }
  const done: string[] = [];
  try {
    const owned = await link.owned();
    if (!options.back) {
      await link.setOwned([...new Set([...owned, ...tables])]);
      done.push('ownership');
      await link.enable(tables);
      done.push('reverse');
    } else {
      await link.disable(tables);
      done.push('reverse');
      await link.setOwned(owned.filter((t) => !tables.includes(t)));
      done.push('ownership');
    }
  } catch (err) {
    attempt.reason = `${(err as Error).message} (after the flip to ${to})`;
    attempt.code = (err as { code?: string }).code;
    // undo what was done, then the flip, while the writes are still held: nothing changed
    const undone = await undo(link, tables, options.back, done).then(
      () => true,
      () => false,
    );
    if (undone && (await proxy.flip(spec.id, hold, from))) {
      attempt.outcome = 'aborted';
      await endHold(proxy, spec.id, hold, attempt, t0);
      return attempt;
    }
    attempt.outcome = 'incomplete';
    await endHold(proxy, spec.id, hold, attempt, t0);
    return attempt;
  }
  attempt.commitMs = ms(tCommit);
  attempt.outcome = 'switched';
  say(`release: ${spec.id}'s writes go to ${to}`);
  await endHold(proxy, spec.id, hold, attempt, t0);
  return attempt;
}

/** Under the hold the route's own writes stop: the writer map catches up, or that is no evidence. */
async function writerMapUnderHold(
  q: WriterQuestion,
  deadline: number,
  stop: { done: boolean },
): Promise<void> {
  let behind: number | null = null;
  await until(
    deadline,
    'the writer map to count every change',
    async () => {
      const a = await askOtherWriters(q, left(deadline));
      if (a.verdict === 'behind') behind = a.eventsBehind;
      return a.verdict === 'clear';
    },
    stop,
  ).catch((err: unknown) => {
    throw err instanceof Abort ? noEvidence(q, behind) : err;
  });
}

/**
 * Forward: legacy's binlog end, then the connector acknowledging it, then the service's offsets
 * reaching the ends its partitions had once everything up to there was in Kafka.
 */
async function storeCaughtUp(
  parts: SwitchParts,
  link: ReverseLink,
  deadline: number,
  stop: { done: boolean },
  attempt: Attempt,
  say: (line: string) => void,
): Promise<void> {
  const mysqlUrl =
    typeof parts.legacyMysqlUrl === 'string' ? parts.legacyMysqlUrl : await parts.legacyMysqlUrl();
  const end = await legacyBinlogEnd(mysqlUrl);
  attempt.position = end;
  say(`legacy's binlog end ${end}: waiting for ${link.serviceUrl} to apply it`);
  await until(
    deadline,
    `the connector to have ${end} in Kafka`,
    async () => {
      const at = await connectorPosition(parts.connector, left(deadline));
      const ok = reached(at, end);
      if (ok === undefined)
        throw new Abort(`the connector's position ${at} cannot be ordered against ${end}`);
      return ok;
    },
    stop,
  );
  let ends: { key: string; highWatermark: number }[] | undefined;
  await until(
    deadline,
    `${link.serviceUrl} to apply up to ${end}`,
    async () => {
      const progress = await serviceProgress(link.serviceUrl, left(deadline));
      ends ??= progress;
      const now = new Map(progress.map((p) => [p.key, p.nextOffset]));
      return ends.every((p) => (now.get(p.key) ?? 0) >= p.highWatermark);
    },
    stop,
  );
}

/** Back: reverse sync's head per owned table, then its applied position reaching it. */
async function reverseCaughtUp(
  link: ReverseLink,
  tables: string[],
  deadline: number,
  stop: { done: boolean },
  attempt: Attempt,
  say: (line: string) => void,
): Promise<void> {
  const heads = await link.status();
  const target: Record<string, string | null> = {};
  for (const t of tables) target[t] = heads[t]?.headPosition ?? null;
  attempt.position = target;
  say(`reverse sync: waiting for it to apply the store's head for ${tables.join(', ')}`);
  await until(
    deadline,
    'reverse sync to catch up',
    async () => {
      const now = await link.status();
      return tables.every((t) => {
        const head = target[t];
        if (head === null || head === undefined) return true;
        const ok = reached(now[t]?.appliedPosition ?? null, head);
        if (ok === undefined)
          throw new Abort(`reverse sync's position for ${t} cannot be ordered against ${head}`);
        return ok;
      });
    },
    stop,
  );
}

/**
 * Asks the writer map until it has counted every change (true) or `forMs` passed (false: the
 * question is asked again under the hold). Other writers refuse the move at once.
 */
async function writerMapSettles(q: WriterQuestion, forMs: number): Promise<boolean> {
  const deadline = performance.now() + forMs;
  for (;;) {
    if ((await askOtherWriters(q)).verdict === 'clear') return true;
    if (performance.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}

function checkedRoute(
  id: string,
  route: RouteWithWrites | undefined,
): { id: string; writes: { methods: string[]; paths: string[] }; owns: string[]; new?: string } {
  if (!route) throw new SwitchError('SWITCH_ERR_NO_WRITES', `no route "${id}" in the proxy's route table`);
  if (!route.writes || !route.owns)
    throw new SwitchError(
      'SWITCH_ERR_NO_WRITES',
      `route "${id}" lists no writes and owned tables: add "writes" and "owns" to it in the route table (docs/proxy.md)`,
    );
  return { id: route.id, writes: route.writes, owns: route.owns, new: route.new };
}

/**
 * The writes are on `to` already: finish what an earlier attempt left (`incomplete`), or say
 * there is nothing to do.
 */
async function finish(
  attempt: Attempt,
  link: ReverseLink,
  tables: string[],
  say: (line: string) => void,
  t0: number,
): Promise<Attempt> {
  const owned = await link.owned();
  const reverse = await link.status();
  const forward = attempt.direction === 'forward';
  const ownershipLeft = forward
    ? tables.filter((t) => !owned.includes(t))
    : tables.filter((t) => owned.includes(t));
  const reverseLeft = tables.filter((t) => (reverse[t]?.enabled ?? false) !== forward);
  if (ownershipLeft.length === 0 && reverseLeft.length === 0)
    throw new SwitchError(
      'SWITCH_ERR_ALREADY',
      `route "${attempt.route}"'s writes are on ${attempt.to} already, with ${forward ? 'the service owning' : 'legacy owning'} ${tables.join(', ')} and reverse sync ${forward ? 'on' : 'off'}`,
    );
  say(`the writes are on ${attempt.to} already: finishing what an earlier attempt left`);
  if (forward) {
    if (ownershipLeft.length > 0) await link.setOwned([...new Set([...owned, ...tables])]);
    if (reverseLeft.length > 0) await link.enable(reverseLeft);
  } else {
    if (reverseLeft.length > 0) await link.disable(reverseLeft);
    if (ownershipLeft.length > 0) await link.setOwned(owned.filter((t) => !tables.includes(t)));
  }
  attempt.outcome = 'completed';
  attempt.totalMs = ms(t0);
  return attempt;
}

async function undo(link: ReverseLink, tables: string[], back: boolean, done: string[]): Promise<void> {
  for (const step of [...done].reverse()) {
    if (step === 'reverse') await (back ? link.enable(tables) : link.disable(tables));
    else {
      const owned = await link.owned();
      await link.setOwned(
        back ? [...new Set([...owned, ...tables])] : owned.filter((t) => !tables.includes(t)),
      );
    }
  }
}

/** Ends the hold with the attempt's figures (the proxy logs them with its own). */
async function endHold(
  proxy: WriteAdmin,
  route: string,
  hold: string,
  attempt: Attempt,
  t0: number,
): Promise<void> {
  attempt.totalMs = ms(t0);
  const end = (await proxy.release(route, hold, { ...attempt })) ?? (await proxy.holdEnd(hold));
  if (end) {
    attempt.holdMs = end.holdMs;
    attempt.writesHeld = end.writesHeld;
    attempt.maxWaitMs = end.maxWaitMs;
  } else if (attempt.outcome === 'switched') {
    // the bound let the writes go just before the release: they went to the side flipped to
    attempt.reason = 'the hold ran out its bound after the flip: the held writes went on by themselves';
  }
}

/**
 * Polls `check` until it is true; Abort when the deadline passes first. A part that does not
 * answer is asked again until then (a blip is not a reason to give up); its last error is the
 * abort's reason.
 */
async function until(
  deadline: number,
  what: string,
  check: () => Promise<boolean>,
  stop: { done: boolean } = { done: false },
): Promise<void> {
  let lastError: Error | undefined;
  for (;;) {
    if (stop.done) throw new Abort(`${what}: stopped, another wait failed`);
    try {
      if (await check()) return;
      lastError = undefined;
    } catch (err) {
      // other writers named by the writer map end the attempt at once
      if (err instanceof Abort || (err as { code?: string }).code === 'SWITCH_ERR_OTHER_WRITERS') throw err;
      lastError = err as Error;
    }
    if (performance.now() >= deadline)
      throw new Abort(`${what} did not come within the bound${lastError ? ` (${lastError.message})` : ''}`);
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A part's answer is waited for no longer than the bound leaves (at least 200 ms). */
function left(deadline: number): number {
  return Math.max(200, Math.round(deadline - performance.now()));
}

function ms(since: number): number {
  return Math.round(performance.now() - since);
}
