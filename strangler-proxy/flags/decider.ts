import fs from 'node:fs';
import { type Context, Unleash, UnleashEvents } from 'unleash-client';
import type { Logger } from '../../lib/log.ts';
import type { Route } from '../routes/route-table.ts';
import { type Mode, stateOf, type UnleashFeature } from './flag-mapping.ts';
import { checkUnleashClientVersion, rolloutBucket } from './stickiness.ts';

/**
 * Per-request routing decision from unleash-client's in-memory flag state (no I/O on the
 * request path). The client polls the flag source every `refreshMs` (≤ 2 s, so a change
 * lands within 2 s) from a real Unleash or from the admin server's embedded client API.
 */
export interface Decision {
  mode: Mode;
  serve: 'legacy' | 'new';
  /** Legacy serves and the new side gets a background copy. */
  shadow: boolean;
}

export interface StickyContext {
  userId?: string;
  sessionId?: string;
  remoteAddress?: string;
}

export const legacyDecision: Decision = Object.freeze({ mode: 'legacy', serve: 'legacy', shadow: false });
const newDecision: Decision = Object.freeze({ mode: 'new', serve: 'new', shadow: false });
const canaryDecision: Decision = Object.freeze({ mode: 'canary', serve: 'new', shadow: false });
const shadowDecision: Decision = Object.freeze({ mode: 'shadow', serve: 'legacy', shadow: true });

/**
 * What one flag means for the request path, worked out once per flag change. `rollout` is set
 * when the flag is exactly what the proxy writes (enabled, one flexibleRollout strategy with
 * default stickiness, no constraints, segments, dependencies or impression data): then the
 * per-request check is flexibleRollout's murmur bucket (`rolloutBucket`, stickiness.ts,
 * checked against unleash-client's own) against the rollout, without isEnabled's
 * context copy, fallback closure, strategy loop and variant hash. Any other flag definition
 * (hand-edited in the Unleash UI) goes through `unleash.isEnabled` unchanged.
 */
interface FlagPlan {
  mode: Mode;
  rollout: { groupId: string; percentage: number } | undefined;
}

export class FlagDecider {
  readonly unleash: Unleash;
  #ready = false;
  /** Per flag: its mode and rollout, read from the flag definition; cleared whenever the flags change. */
  readonly #plans = new Map<string, FlagPlan>();

  constructor(options: {
    url: string;
    token?: string;
    refreshMs: number;
    backupPath: string;
    environment: string;
    log: Logger;
  }) {
    // The fast path's bucket must be unleash-client's: refuse a version it was not checked against.
    checkUnleashClientVersion();
    // unleash-client writes its backup into this folder but never creates it.
    fs.mkdirSync(options.backupPath, { recursive: true });
    this.unleash = new Unleash({
      appName: 'strangler-proxy',
      url: options.url,
      refreshInterval: options.refreshMs,
      metricsInterval: 30_000,
      environment: options.environment,
      backupPath: options.backupPath,
      timeout: 1500,
      customHeaders: options.token ? { Authorization: options.token } : undefined,
      skipInstanceCountWarning: true,
    });
    // Background polling never throws into the request path; failures keep the last flags.
    this.unleash.on(UnleashEvents.Error, (err: Error) => {
      // no backup file yet on a first start is expected, not a failure
      if (err.message.includes('ENOENT') && err.message.includes(options.backupPath)) return;
      options.log.warn({ err: err.message }, 'unleash: flag poll failed; keeping the last flags');
    });
    this.unleash.on(UnleashEvents.Warn, (msg: string) => options.log.debug({ msg }, 'unleash warning'));
    const markReady = () => {
      this.#ready = true;
    };
    this.unleash.on(UnleashEvents.Ready, markReady);
    this.unleash.on(UnleashEvents.Synchronized, markReady);
    this.unleash.on(UnleashEvents.Changed, () => this.#plans.clear());
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves once flags were fetched (or restored from the backup), or after `timeoutMs`. */
  waitUntilReady(timeoutMs: number): Promise<boolean> {
    if (this.#ready) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(this.#ready), timeoutMs);
      const done = () => {
        clearTimeout(timer);
        resolve(true);
      };
      this.unleash.once(UnleashEvents.Synchronized, done);
      this.unleash.once(UnleashEvents.Ready, done);
    });
  }

  /**
   * The mode is the same for every request of a flag (one variant, weight 1000: see
   * flag-mapping.ts), so it is read once per flag change from the definition; the sticky
   * rollout itself is evaluated per request (flexibleRollout's murmur bucket, see FlagPlan).
   */
  decide(route: Route, context: StickyContext): Decision {
    if (!this.#ready) return legacyDecision;
    const plan = this.#planOf(route);
    const mode = plan.mode;
    if (mode === 'legacy') return legacyDecision;
    let enabled: boolean;
    const rollout = plan.rollout;
    if (rollout) {
      // flexibleRollout with stickiness default: userId, else sessionId, else a random bucket
      const id = context.userId || context.sessionId || String(Math.round(Math.random() * 10000) + 1);
      enabled = rollout.percentage > 0 && rolloutBucket(id, rollout.groupId) <= rollout.percentage;
      // keep the Unleash usage metrics (yes/no per flag) that isEnabled would have counted
      this.unleash.count(route.flag, enabled);
    } else enabled = this.unleash.isEnabled(route.flag, context as Context);
    if (!enabled) return legacyDecision;
    switch (mode) {
      case 'shadow':
        return shadowDecision;
      case 'new':
        return newDecision;
      default:
        return canaryDecision;
    }
  }

  /**
   * The route's stage, the same for every request whatever its rollout bucket: what a write
   * is decided on (flags/write-side.ts), since every write of a stage gets the same treatment.
   */
  stageOf(route: Route): Mode {
    return this.#ready ? this.#planOf(route).mode : 'legacy';
  }

  #planOf(route: Route): FlagPlan {
    let plan = this.#plans.get(route.flag);
    if (plan === undefined) {
      plan = planOf(this.unleash.getFeatureToggleDefinition(route.flag) as PlannedFeature | undefined);
      this.#plans.set(route.flag, plan);
    }
    return plan;
  }

  destroy(): void {
    this.unleash.destroy();
  }
}

type PlannedFeature = UnleashFeature & {
  dependencies?: unknown[];
  strategies: (UnleashFeature['strategies'][number] & { segments?: unknown[] })[];
};

function planOf(feature: PlannedFeature | undefined): FlagPlan {
  const mode = stateOf(feature).mode;
  if (!feature || mode === 'legacy') return { mode, rollout: undefined };
  const only = feature.strategies.length === 1 ? feature.strategies[0]! : undefined;
  const p = only?.parameters;
  const simple =
    feature.enabled === true &&
    !feature.impressionData &&
    !feature.dependencies?.length &&
    only?.name === 'flexibleRollout' &&
    !only.constraints?.length &&
    !only.segments?.length &&
    (p?.stickiness === undefined || p.stickiness === 'default') &&
    Number.isFinite(Number(p?.rollout));
  return {
    mode,
    // an empty groupId is what flexibleRollout hashes too (the SDK never fills featureToggle)
    rollout: simple ? { groupId: p?.groupId || '', percentage: Number(p?.rollout) } : undefined,
  };
}
