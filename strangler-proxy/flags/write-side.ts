import type { RequestState } from '../forward/request-state.ts';
import type { WriteSide } from '../writes/write-state.ts';
import { type Decision, legacyDecision } from './decider.ts';
import type { Mode } from './flag-mapping.ts';

/**
 * Where a route's writes (its `writes` in the route table) go. Writes are decided on the
 * route's stage, never on a user's rollout bucket: every write of a stage is treated alike.
 *
 * - the route's writes are on legacy (until they are moved) and its stage is plain legacy:
 *   legacy executes the write, nothing else happens;
 * - on legacy, in any other stage (shadow, canary, new): legacy executes it and the new
 *   service gets a dry-run copy (contract/dry-run.ts) for the comparison engine;
 * - moved to the new service: the new service executes it, and no copy goes anywhere (legacy
 *   would execute a copy for real).
 */
const dryRunDecisions: Record<Exclude<Mode, 'legacy'>, Decision> = {
  shadow: Object.freeze({ mode: 'shadow', serve: 'legacy', shadow: true }),
  canary: Object.freeze({ mode: 'canary', serve: 'legacy', shadow: true }),
  new: Object.freeze({ mode: 'new', serve: 'legacy', shadow: true }),
};
const newWriteDecisions: Record<Mode, Decision> = {
  legacy: Object.freeze({ mode: 'legacy', serve: 'new', shadow: false }),
  shadow: Object.freeze({ mode: 'shadow', serve: 'new', shadow: false }),
  canary: Object.freeze({ mode: 'canary', serve: 'new', shadow: false }),
  new: Object.freeze({ mode: 'new', serve: 'new', shadow: false }),
};

/**
 * The decision for one write whose route's writes are on `side` (writes/write-state.ts: legacy
 * until a write switch moves them) in stage `stage`: who serves it, and (`shadow`) whether the
 * new service gets a dry-run copy.
 */
export function decideWrite(side: WriteSide, stage: Mode): Decision {
  if (side === 'new') return newWriteDecisions[stage];
  return stage === 'legacy' ? legacyDecision : dryRunDecisions[stage];
}

/** Sets a write's decision on its request: who serves it, and whether it is teed as a dry run. */
export function setWriteDecision(state: RequestState, side: WriteSide): void {
  const route = state.route!;
  const proxy = state.proxy;
  const decision = decideWrite(side, proxy.decider.stageOf(route));
  state.decision = decision;
  state.dryRun = decision.shadow;
  if (decision.shadow && route.compare && proxy.hookModes.has(decision.mode))
    state.captureMax = route.captureMaxBytes;
}
