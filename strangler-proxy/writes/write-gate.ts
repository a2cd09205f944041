import type { Logger } from '../../lib/log.ts';
import type { WriteLink } from './write-control.ts';
import {
  emptyCounts,
  type WriteCounts,
  type WriteRouteState,
  type WriteSide,
  type WriteStates,
} from './write-state.ts';

/** A held write: what sends it once the hold lets it go, and when it arrived. */
interface Held {
  go: (side: WriteSide) => void;
  at: number;
}

const notHeld: WriteRouteState = Object.freeze({ side: 'legacy', hold: null });

/**
 * One serving process's side of the write switch (the proxy, each worker, the Express
 * middleware): which side each route's writes go to, the hold, and the writes in flight.
 *
 * - A write of a held route waits here; it is never refused. When the hold ends (the primary
 *   releases it, or this process's own bound runs out) every waiting write goes to the side the
 *   route's writes are on then.
 * - Past `maxHeld` waiting writes in this process the primary is told (`onOverflow`) so the
 *   switch aborts; the write still waits, and the bound still holds.
 * - The bound a process applies is the hold's plus `graceMs`: the primary ends a hold itself
 *   (releasing to the side the switch ended on); this is the floor when the primary cannot.
 */
export class WriteGate {
  #states = new Map<string, WriteRouteState>();
  readonly #queues = new Map<string, Held[]>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #counts = new Map<string, WriteCounts>();
  /** Hold ids whose figures are kept for the primary to collect (oldest dropped past 16). */
  readonly #holdOrder: { route: string; id: string }[] = [];
  onOverflow: ((routeId: string, holdId: string) => void) | undefined = undefined;
  #overflowed = new Set<string>();

  constructor(
    private readonly maxHeld: number,
    private readonly graceMs: number,
    private readonly log: Logger,
  ) {}

  stateOf(routeId: string): WriteRouteState {
    return this.#states.get(routeId) ?? notHeld;
  }

  /** The primary's whole picture: sides and holds. A hold that is gone lets its writes go. */
  apply(states: WriteStates): void {
    const before = this.#states;
    this.#states = new Map(Object.entries(states));
    for (const [routeId, was] of before) {
      const now = this.stateOf(routeId);
      if (was.hold !== null && now.hold?.id !== was.hold.id) this.#release(routeId, was.hold.id);
    }
    for (const [routeId, now] of this.#states) {
      const was = before.get(routeId);
      if (now.hold !== null && was?.hold?.id !== now.hold.id)
        this.#armBound(routeId, now.hold.id, now.hold.boundMs);
    }
  }

  /** Sends the write now, or keeps it until the route's hold ends. */
  admit(routeId: string, go: (side: WriteSide) => void): void {
    const state = this.stateOf(routeId);
    if (state.hold === null) {
      go(state.side);
      return;
    }
    let queue = this.#queues.get(routeId);
    if (queue === undefined) {
      queue = [];
      this.#queues.set(routeId, queue);
    }
    queue.push({ go, at: performance.now() });
    this.#countsOf(routeId).held = queue.length;
    if (queue.length > this.maxHeld && !this.#overflowed.has(state.hold.id)) {
      this.#overflowed.add(state.hold.id);
      this.log.warn(
        { route: routeId, hold: state.hold.id, held: queue.length },
        'write hold over its count bound',
      );
      this.onOverflow?.(routeId, state.hold.id);
    }
  }

  /** A write went to `side`; `finished` is called when its answer is over. */
  started(routeId: string, side: WriteSide): void {
    this.#countsOf(routeId).inFlight[side]++;
  }

  finished(routeId: string, side: WriteSide): void {
    this.#countsOf(routeId).inFlight[side]--;
  }

  counts(): Record<string, WriteCounts> {
    return Object.fromEntries(this.#counts);
  }

  /** Lets every held write go; for a process that stops (it answers them rather than drop them). */
  releaseAll(): void {
    for (const [routeId, state] of this.#states) if (state.hold) this.#release(routeId, state.hold.id);
  }

  #countsOf(routeId: string): WriteCounts {
    let c = this.#counts.get(routeId);
    if (c === undefined) {
      c = emptyCounts();
      this.#counts.set(routeId, c);
    }
    return c;
  }

  #armBound(routeId: string, holdId: string, boundMs: number): void {
    clearTimeout(this.#timers.get(routeId));
    const timer = setTimeout(() => {
      const state = this.stateOf(routeId);
      if (state.hold?.id !== holdId) return;
      this.log.warn(
        { route: routeId, hold: holdId },
        'write hold past its bound in this process: writes let go',
      );
      this.#states.set(routeId, { side: state.side, hold: null });
      this.#release(routeId, holdId);
    }, boundMs + this.graceMs);
    timer.unref();
    this.#timers.set(routeId, timer);
    this.#countsOf(routeId).holds[holdId] = { writes: 0, maxWaitMs: 0 };
    this.#holdOrder.push({ route: routeId, id: holdId });
    while (this.#holdOrder.length > 16) {
      const old = this.#holdOrder.shift()!;
      delete this.#counts.get(old.route)?.holds[old.id];
    }
  }

  #release(routeId: string, holdId: string): void {
    clearTimeout(this.#timers.get(routeId));
    this.#timers.delete(routeId);
    this.#overflowed.delete(holdId);
    const queue = this.#queues.get(routeId) ?? [];
    this.#queues.delete(routeId);
    const counts = this.#countsOf(routeId);
    counts.held = 0;
    const figures = counts.holds[holdId] ?? { writes: 0, maxWaitMs: 0 };
    counts.holds[holdId] = figures;
    const side = this.stateOf(routeId).side;
    const now = performance.now();
    for (const held of queue) {
      figures.writes++;
      figures.maxWaitMs = Math.max(figures.maxWaitMs, Math.round(now - held.at));
      try {
        held.go(side);
      } catch (err) {
        this.log.error({ err, route: routeId }, 'a held write failed to go on');
      }
    }
  }
}

/**
 * A write in flight, as the request's `slot` (record-outcome.ts gives it back when the answer is
 * over, whatever way it ended): the switch waits for a side's writes in flight to reach 0.
 */
export class WriteInFlight {
  #done = false;
  constructor(
    private readonly gate: WriteGate,
    private readonly routeId: string,
    private readonly side: WriteSide,
  ) {
    gate.started(routeId, side);
  }

  release(): void {
    if (this.#done) return;
    this.#done = true;
    this.gate.finished(this.routeId, this.side);
  }
}

/** The primary's link when it serves itself (one process, or the Express middleware). */
export function localWriteLink(gate: WriteGate): WriteLink {
  return {
    apply: (states) => gate.apply(states),
    counts: async () => [gate.counts()],
  };
}
