import {
  compareSourcePositions,
  type ParsedSourcePosition,
  parseSourcePosition,
  sourcePositionHeader,
} from '../../contract/index.ts';
import type { Send, SendRequest } from './comparator.ts';
import type { Answer } from './diff.ts';

/**
 * The lag re-check, shared by the proxy's Comparator and `compareEndpoints`: when the new side
 * answered from a store behind the legacy database, wait (bounded) until its position advances
 * past where legacy was, then ask both sides again. The caller diffs the fresh answers under its
 * own rules and noise: no difference left → lag; still different → a mismatch with the new diff.
 */
export interface CatchUpTiming {
  /** How long to wait for the new side to catch up. Default 5000 ms. */
  waitMs?: number;
  /** How often to ask the new side for its position meanwhile. Default 200 ms. */
  pollMs?: number;
}

export interface CaughtUp {
  legacy: Answer;
  candidate: Answer;
  note: string;
}

/**
 * Undefined when the new side was not behind `legacyAt`, reports no position, or never caught
 * up within the wait. A failing call once caught up rejects (the caller decides what that is).
 */
export async function recheckAfterCatchUp(
  send: Send,
  origins: { legacy: string; new: string },
  request: SendRequest,
  candidate: Answer,
  legacyAt: ParsedSourcePosition,
  timing: CatchUpTiming = {},
): Promise<CaughtUp | undefined> {
  const before = parseSourcePosition(candidate.headers[sourcePositionHeader]);
  if (!before || (compareSourcePositions(before, legacyAt) ?? 0) >= 0) return undefined;
  const deadline = Date.now() + (timing.waitMs ?? 5000);
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, timing.pollMs ?? 200));
    const probe = await send(origins.new, request).catch(() => undefined);
    const now = parseSourcePosition(probe?.headers[sourcePositionHeader]);
    if (!probe || !now) continue;
    // Caught up: at or past legacy's position, or moved on from where it was (the
    // position it reports is the start of the last applied event, which can stay just
    // below the server's end-of-log position forever once writes stop).
    if (
      (compareSourcePositions(now, legacyAt) ?? -1) >= 0 ||
      (compareSourcePositions(now, before) ?? 0) > 0
    ) {
      const legacy = await send(origins.legacy, request);
      const fresh = await send(origins.new, request);
      return {
        legacy,
        candidate: fresh,
        note: `new side was at ${candidate.headers[sourcePositionHeader]}, behind legacy; re-checked after it caught up`,
      };
    }
  }
  return undefined;
}
