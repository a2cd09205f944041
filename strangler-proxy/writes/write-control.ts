import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../lib/log.ts';
import { ProxyError } from '../errors.ts';
import type { Route } from '../routes/route-table.ts';
import {
  emptyCounts,
  readWriteSides,
  type WriteCounts,
  type WriteSide,
  type WriteStates,
  writeSidesFile,
  writeWriteSides,
} from './write-state.ts';

/** How the primary reaches the processes that serve: its own gate, or the workers over IPC. */
export interface WriteLink {
  apply(states: WriteStates): void;
  /** Each serving process's counts (a worker that does not answer within 1 s is left out). */
  counts(): Promise<Record<string, WriteCounts>[]>;
}

interface ActiveHold {
  id: string;
  boundMs: number;
  /** The side the writes were on when the hold began. */
  from: WriteSide;
  startedAt: number;
  timer: NodeJS.Timeout;
  overflow: boolean;
}

/** What a hold's end is logged with (and what `release` answers). */
export interface HoldRecord {
  route: string;
  hold: string;
  from: WriteSide;
  /** Where the held writes went. */
  side: WriteSide;
  /** `released` by its caller, or `bound`: the proxy let the writes go when the bound ran out. */
  end: 'released' | 'bound';
  holdMs: number;
  /** Writes that waited in the hold, over every serving process, and the longest wait. */
  writesHeld: number;
  maxWaitMs: number;
  overflow: boolean;
  at: string;
  /** What the caller (the write switch) adds: its steps and their figures. */
  attempt?: Record<string, unknown>;
}

/**
 * The primary's side of the write switch (one per proxy): the durable write side of each route
 * (`<data>/write-sides.json`), the holds and their bounds, and the log of every hold's end
 * (`<data>/write-switch.log`, one JSON line each, and the proxy's log). Every serving process
 * gets the whole picture on every change (`WriteLink.apply`).
 */
export class WriteControl {
  #sides: Record<string, WriteSide> = {};
  readonly #holds = new Map<string, ActiveHold>();
  readonly #recent: HoldRecord[] = [];

  private constructor(
    private readonly sidesFile: string,
    private readonly logFile: string,
    private readonly link: WriteLink,
    private readonly maxBoundMs: number,
    private readonly log: Logger,
  ) {}

  /** Throws PROXY_ERR_WRITE_SIDES_INVALID when the file does not validate. */
  static async open(options: {
    dataDir: string;
    link: WriteLink;
    maxBoundMs: number;
    log: Logger;
  }): Promise<WriteControl> {
    const control = new WriteControl(
      writeSidesFile(options.dataDir),
      path.join(options.dataDir, 'write-switch.log'),
      options.link,
      options.maxBoundMs,
      options.log,
    );
    control.#sides = await readWriteSides(control.sidesFile);
    control.#broadcast();
    return control;
  }

  states(): WriteStates {
    const out: WriteStates = {};
    for (const [id, side] of Object.entries(this.#sides)) out[id] = { side, hold: null };
    for (const [id, h] of this.#holds)
      out[id] = { side: this.#sides[id] ?? 'legacy', hold: { id: h.id, boundMs: h.boundMs } };
    return out;
  }

  /** Sends the whole picture again (a worker that just started). */
  resend(): void {
    this.#broadcast();
  }

  sideOf(routeId: string): WriteSide {
    return this.#sides[routeId] ?? 'legacy';
  }

  /** Holds the route's writes for at most `boundMs`; past it they go to the side they are on then. */
  hold(route: Route, boundMs: unknown): { route: string; hold: string; boundMs: number; side: WriteSide } {
    writesOf(route);
    if (typeof boundMs !== 'number' || !Number.isInteger(boundMs) || boundMs < 1 || boundMs > this.maxBoundMs)
      throw new ProxyError(
        'PROXY_ERR_BAD_HOLD',
        `boundMs must be a whole number of milliseconds from 1 to ${this.maxBoundMs} (PROXY_WRITE_HOLD_MAX_MS), e.g. {"boundMs": 5000}`,
        { status: 400 },
      );
    const held = this.#holds.get(route.id);
    if (held)
      throw new ProxyError(
        'PROXY_ERR_WRITES_HELD',
        `route "${route.id}"'s writes are already held (hold ${held.id}, ${Math.round(performance.now() - held.startedAt)} ms so far): one switch at a time`,
        { status: 409 },
      );
    const id = randomUUID();
    const timer = setTimeout(() => {
      this.log.warn({ route: route.id, hold: id, boundMs }, 'write hold ran out its bound: its writes go on');
      void this.#end(route.id, id, 'bound').catch((err: Error) =>
        this.log.error({ err, route: route.id }, 'ending a write hold failed'),
      );
    }, boundMs);
    timer.unref();
    this.#holds.set(route.id, {
      id,
      boundMs,
      from: this.sideOf(route.id),
      startedAt: performance.now(),
      timer,
      overflow: false,
    });
    this.#broadcast();
    this.log.info({ route: route.id, hold: id, boundMs, side: this.sideOf(route.id) }, 'write hold');
    return { route: route.id, hold: id, boundMs, side: this.sideOf(route.id) };
  }

  /** Moves the route's writes to `side`, under the hold named (they stay held). Durable before it answers. */
  async flip(route: Route, holdId: unknown, side: unknown): Promise<{ route: string; side: WriteSide }> {
    writesOf(route);
    const to = sideArg(side);
    this.#activeHold(route.id, holdId);
    if (this.sideOf(route.id) !== to) {
      const next = { ...this.#sides, [route.id]: to };
      await writeWriteSides(this.sidesFile, next);
      // the bound may have run out while the file was written: the writes already went on
      this.#activeHold(route.id, holdId);
      this.#sides = next;
      this.#broadcast();
      this.log.info({ route: route.id, hold: holdId, side: to }, 'write side changed');
    }
    return { route: route.id, side: to };
  }

  /** Ends the hold named: its writes go to the route's side. */
  async release(route: Route, holdId: unknown, attempt?: Record<string, unknown>): Promise<HoldRecord> {
    this.#activeHold(route.id, holdId);
    return this.#end(route.id, holdId as string, 'released', attempt);
  }

  /** A serving process holds more writes than its bound allows: the switch sees it and aborts. */
  overflow(routeId: string, holdId: string): void {
    const h = this.#holds.get(routeId);
    if (h?.id === holdId) h.overflow = true;
  }

  /** Sides, holds and the serving processes' counts summed, per route with writes. */
  async status(routes: readonly Route[]): Promise<Record<string, unknown>> {
    const perProcess = await this.link.counts();
    const out: Record<string, unknown> = {};
    for (const r of routes) {
      if (!r.spec.writes) continue;
      const sum = emptyCounts();
      for (const counts of perProcess) {
        const c = counts[r.id];
        if (!c) continue;
        sum.inFlight.legacy += c.inFlight.legacy;
        sum.inFlight.new += c.inFlight.new;
        sum.held += c.held;
      }
      const h = this.#holds.get(r.id);
      out[r.id] = {
        side: this.sideOf(r.id),
        owns: r.spec.owns ?? [],
        hold: h
          ? {
              id: h.id,
              boundMs: h.boundMs,
              heldForMs: Math.round(performance.now() - h.startedAt),
              from: h.from,
              overflow: h.overflow,
            }
          : null,
        inFlight: sum.inFlight,
        held: sum.held,
        processes: perProcess.length,
      };
    }
    return out;
  }

  /** The latest hold ends, newest last (the log file keeps them all). */
  recent(): readonly HoldRecord[] {
    return this.#recent;
  }

  /** Stops the bound timers (the proxy is stopping; its processes answer what they held). */
  stop(): void {
    for (const h of this.#holds.values()) clearTimeout(h.timer);
  }

  #activeHold(routeId: string, holdId: unknown): ActiveHold {
    const h = this.#holds.get(routeId);
    if (typeof holdId !== 'string' || holdId === '')
      throw new ProxyError(
        'PROXY_ERR_BAD_HOLD',
        'name the hold: {"hold": "<id from POST /writes/:route/hold>"}',
        {
          status: 400,
        },
      );
    if (!h || h.id !== holdId)
      throw new ProxyError(
        'PROXY_ERR_HOLD_GONE',
        `hold ${holdId} is not route "${routeId}"'s hold any more (it ran out its bound or was released; its writes went to ${this.sideOf(routeId)})`,
        { status: 409 },
      );
    return h;
  }

  async #end(
    routeId: string,
    holdId: string,
    end: HoldRecord['end'],
    attempt?: Record<string, unknown>,
  ): Promise<HoldRecord> {
    const h = this.#holds.get(routeId);
    if (!h || h.id !== holdId) throw new Error(`hold ${holdId} already ended`);
    clearTimeout(h.timer);
    this.#holds.delete(routeId);
    const holdMs = Math.round(performance.now() - h.startedAt);
    this.#broadcast();
    // the counts travel after the release on the same channel: they include what it let go
    const perProcess = await this.link.counts();
    let writesHeld = 0;
    let maxWaitMs = 0;
    for (const counts of perProcess) {
      const f = counts[routeId]?.holds[holdId];
      if (!f) continue;
      writesHeld += f.writes;
      maxWaitMs = Math.max(maxWaitMs, f.maxWaitMs);
    }
    const record: HoldRecord = {
      route: routeId,
      hold: holdId,
      from: h.from,
      side: this.sideOf(routeId),
      end,
      holdMs,
      writesHeld,
      maxWaitMs,
      overflow: h.overflow,
      at: new Date().toISOString(),
      ...(attempt ? { attempt } : {}),
    };
    this.log.info(record, 'write hold ended');
    this.#recent.push(record);
    if (this.#recent.length > 100) this.#recent.shift();
    await fs
      .appendFile(this.logFile, `${JSON.stringify(record)}\n`)
      .catch((err: Error) => this.log.error({ err, file: this.logFile }, 'write switch log not written'));
    return record;
  }

  #broadcast(): void {
    this.link.apply(this.states());
  }
}

function writesOf(route: Route): void {
  if (!route.spec.writes)
    throw new ProxyError(
      'PROXY_ERR_NO_WRITES',
      `route "${route.id}" lists no writes: add "writes" and "owns" to it in the route table first`,
      { status: 400 },
    );
}

function sideArg(side: unknown): WriteSide {
  if (side !== 'legacy' && side !== 'new')
    throw new ProxyError(
      'PROXY_ERR_BAD_HOLD',
      'side must be "legacy" or "new", e.g. {"hold": "…", "side": "new"}',
      {
        status: 400,
      },
    );
  return side;
}
