import { type Context, Unleash, UnleashEvents } from 'unleash-client';
import type { Logger } from '../../lib/log.ts';
import type { Route } from '../routes/route-table.ts';
import type { Mode } from './flag-mapping.ts';

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
    this.unleash.on(UnleashEvents.Error, (err: Error) =>
      options.log.warn({ err: err.message }, 'unleash: flag poll failed'),
    );
    this.unleash.on(UnleashEvents.Warn, (msg: string) => options.log.debug({ msg }, 'unleash warning'));
    const markReady = () => {
      this.#ready = true;
    };
    this.unleash.on(UnleashEvents.Ready, markReady);
    this.unleash.on(UnleashEvents.Synchronized, markReady);
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

  decide(route: Route, context: StickyContext): Decision {
    if (!this.#ready) return legacyDecision;
    const variant = this.unleash.getVariant(route.flag, context as Context);
    if (!variant.feature_enabled) return legacyDecision;
    switch (variant.name) {
      case 'shadow':
        return shadowDecision;
      case 'legacy':
        return legacyDecision;
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
