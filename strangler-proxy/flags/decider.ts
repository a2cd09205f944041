import { type Context, Unleash, UnleashEvents } from 'unleash-client';
import type { Logger } from '../../lib/log.ts';
import type { Route } from '../routes/route-table.ts';
import { type Mode, stateOf, type UnleashFeature } from './flag-mapping.ts';

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

const legacyDecision: Decision = Object.freeze({ mode: 'legacy', serve: 'legacy', shadow: false });
const newDecision: Decision = Object.freeze({ mode: 'new', serve: 'new', shadow: false });
const canaryDecision: Decision = Object.freeze({ mode: 'canary', serve: 'new', shadow: false });
const shadowDecision: Decision = Object.freeze({ mode: 'shadow', serve: 'legacy', shadow: true });

export class FlagDecider {
  readonly unleash: Unleash;
  #ready = false;
  /** The mode per flag, read from the flag definition; cleared whenever the flags change. */
  readonly #modes = new Map<string, Mode>();

  constructor(options: {
    url: string;
    token?: string;
    refreshMs: number;
    backupPath: string;
    environment: string;
    log: Logger;
  }) {
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
      if (err.message.includes('ENOENT') && err.message.includes('unleash-backup')) return;
      options.log.warn({ err: err.message }, 'unleash: flag poll failed; keeping the last flags');
    });
    this.unleash.on(UnleashEvents.Warn, (msg: string) => options.log.debug({ msg }, 'unleash warning'));
    const markReady = () => {
      this.#ready = true;
    };
    this.unleash.on(UnleashEvents.Ready, markReady);
    this.unleash.on(UnleashEvents.Synchronized, markReady);
    this.unleash.on(UnleashEvents.Changed, () => this.#modes.clear());
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
   * rollout itself is evaluated per request by unleash-client's isEnabled (flexibleRollout).
   */
  decide(route: Route, context: StickyContext): Decision {
    if (!this.#ready) return legacyDecision;
    let mode = this.#modes.get(route.flag);
    if (mode === undefined) {
      mode = stateOf(this.unleash.getFeatureToggleDefinition(route.flag) as UnleashFeature | undefined).mode;
      this.#modes.set(route.flag, mode);
    }
    if (mode === 'legacy' || !this.unleash.isEnabled(route.flag, context as Context)) return legacyDecision;
    switch (mode) {
      case 'shadow':
        return shadowDecision;
      case 'new':
        return newDecision;
      default:
        return canaryDecision;
    }
  }

  destroy(): void {
    this.unleash.destroy();
  }
}
