import { ProxyError } from '../errors.ts';

/**
 * How a route's mode and percentage live in Unleash: ONE flag per route (default name
 * `strangler.<routeId>`) with one `flexibleRollout` strategy (stickiness `default`, i.e.
 * userId, else sessionId, and the proxy always fills sessionId with the session cookie or the
 * client address) and one strategy variant (weight 1000) whose NAME is the mode:
 *
 *   mode     flag enabled  rollout            strategy variant
 *   legacy   no            (kept)             (kept)
 *   shadow   yes           share shadowed     "shadow"  → legacy serves, new gets a copy
 *   canary   yes           share sent to new  "canary"  → new serves that sticky share
 *   new      yes           100                "new"     → new serves everyone
 *
 * A request outside the rollout (feature_enabled false) is legacy without shadow.
 * A variant name the proxy does not know is treated as "canary", so a hand-edited flag
 * in the Unleash UI still does what the rollout says.
 */
export const modes = ['legacy', 'shadow', 'canary', 'new'] as const;
export type Mode = (typeof modes)[number];

export interface FlagState {
  mode: Mode;
  percent: number;
}

export interface UnleashStrategy {
  name: string;
  id?: string;
  parameters?: Record<string, string>;
  variants?: { name: string; weight: number; weightType?: string; stickiness?: string }[];
  constraints?: unknown[];
}

export interface UnleashFeature {
  name: string;
  enabled: boolean;
  type?: string;
  project?: string;
  strategies: UnleashStrategy[];
  variants?: unknown[];
  impressionData?: boolean;
}

export function strategyFor(flag: string, state: FlagState): UnleashStrategy {
  const variant = state.mode === 'legacy' ? 'canary' : state.mode;
  return {
    name: 'flexibleRollout',
    parameters: {
      rollout: String(state.mode === 'new' ? 100 : state.percent),
      stickiness: 'default',
      groupId: flag,
    },
    variants: [{ name: variant, weight: 1000, weightType: 'variable', stickiness: 'default' }],
    constraints: [],
  };
}

export function featureFor(flag: string, state: FlagState): UnleashFeature {
  return {
    name: flag,
    enabled: state.mode !== 'legacy',
    type: 'release',
    project: 'default',
    strategies: [strategyFor(flag, state)],
    variants: [],
    impressionData: false,
  };
}

/** Reads the mode back from a flag as Unleash stores it (missing flag → legacy at 0 %). */
export function stateOf(feature: UnleashFeature | undefined): FlagState {
  const strategy = feature?.strategies.find((s) => s.name === 'flexibleRollout');
  const percent = clampPercent(Number(strategy?.parameters?.rollout ?? 0));
  if (!feature?.enabled || !strategy) return { mode: 'legacy', percent };
  const variant = strategy.variants?.[0]?.name;
  const mode: Mode =
    variant === 'shadow' || variant === 'new' ? variant : variant === 'legacy' ? 'legacy' : 'canary';
  return { mode, percent: mode === 'new' ? 100 : percent };
}

/**
 * `strangler shift <route> <percent|mode>`: "25" or "25%" → canary at 25 %; "shadow" keeps
 * the percentage when there is one (else 100 %); "canary" keeps it (else 10 %); "new" is
 * 100 %; "legacy" keeps the percentage for a later canary.
 */
export function applyShift(current: FlagState, target: string): FlagState {
  const text = target.trim().toLowerCase();
  const pct = /^(\d{1,3}(?:\.\d+)?)%?$/.exec(text);
  if (pct) {
    const percent = Number(pct[1]);
    if (percent > 100) throw badShift(target);
    return { mode: 'canary', percent };
  }
  switch (text) {
    case 'legacy':
      return { mode: 'legacy', percent: current.percent };
    case 'shadow':
      return {
        mode: 'shadow',
        percent: current.mode === 'shadow' && current.percent > 0 ? current.percent : 100,
      };
    case 'canary':
      return { mode: 'canary', percent: current.percent > 0 && current.percent < 100 ? current.percent : 10 };
    case 'new':
      return { mode: 'new', percent: 100 };
    default:
      throw badShift(target);
  }
}

function badShift(target: string): ProxyError {
  return new ProxyError(
    'PROXY_ERR_BAD_SHIFT',
    `cannot shift to "${target}": give a percentage 0-100 (e.g. 25 or 25%) or a mode (${modes.join(', ')})`,
    { status: 400 },
  );
}

function clampPercent(n: number): number {
  return Number.isFinite(n) ? Math.min(100, Math.max(0, n)) : 0;
}
