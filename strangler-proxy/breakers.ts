import CircuitBreaker from 'opossum';
import type { Logger } from '../lib/log.ts';

export interface BreakerOptions {
  errorThresholdPercentage: number;
  volumeThreshold: number;
  resetTimeout: number;
  rollingCountTimeout: number;
}

/** A rejected attempt that a client's hang-up ended (forward/answer-client.ts: clientClosed). */
function isClientHangUp(reason: unknown): boolean {
  return (reason as { clientClosed?: boolean } | null)?.clientClosed === true;
}

export type BreakerState = 'closed' | 'open' | 'half-open';

/** What the admin API and /metrics read: this process's breakers, or its workers' combined. */
export interface BreakerStates {
  stateOf(origin: string): BreakerState;
  entries(): [string, BreakerState][];
}

/**
 * One opossum breaker per NEW upstream (legacy has nothing to fall back to, so it gets none).
 * The action is the attempt itself: it resolves when the new side answered below 500 and
 * rejects on a connection error, a timeout or a 5xx. Open → requests go to legacy without
 * trying; after `resetTimeout` one half-open probe goes through and closes it on success.
 */
export class Breakers implements BreakerStates {
  readonly #byOrigin = new Map<string, CircuitBreaker<[() => Promise<void>], void>>();

  constructor(
    private readonly options: BreakerOptions,
    private readonly log: Logger,
  ) {}

  get(origin: string): CircuitBreaker<[() => Promise<void>], void> {
    let breaker = this.#byOrigin.get(origin);
    if (!breaker) {
      breaker = new CircuitBreaker((attempt: () => Promise<void>) => attempt(), {
        timeout: false, // per-route timeouts live in the forwarder
        errorThresholdPercentage: this.options.errorThresholdPercentage,
        volumeThreshold: this.options.volumeThreshold,
        resetTimeout: this.options.resetTimeout,
        rollingCountTimeout: this.options.rollingCountTimeout,
        rollingCountBuckets: 10,
        // The breaker only needs its counts. With these on (opossum's defaults) every success
        // keeps its latency, and once a second a snapshot concatenates and sorts the whole
        // window's latencies on the event loop: at 10k req/s a stall of several ms, each second.
        rollingPercentilesEnabled: false,
        enableSnapshots: false,
        // A client's hang-up aborts the attempt but says nothing about the upstream: not a
        // failure (opossum then counts it as a success, which only matters in half-open, so
        // there it stays a failure: the probe proved nothing, and the next one comes after
        // resetTimeout). Called on rejections only, never on the normal path.
        errorFilter: (reason: unknown) => isClientHangUp(reason) && !breaker!.halfOpen,
        name: origin,
      });
      breaker.on('open', () =>
        this.log.warn({ upstream: origin }, 'breaker open: new upstream failing, legacy serves'),
      );
      breaker.on('halfOpen', () => this.log.info({ upstream: origin }, 'breaker half-open: probing'));
      breaker.on('close', () => this.log.info({ upstream: origin }, 'breaker closed'));
      this.#byOrigin.set(origin, breaker);
    }
    return breaker;
  }

  stateOf(origin: string): BreakerState {
    const b = this.#byOrigin.get(origin);
    if (!b || b.closed) return 'closed';
    return b.halfOpen ? 'half-open' : 'open';
  }

  entries(): [string, BreakerState][] {
    return [...this.#byOrigin.keys()].map((o) => [o, this.stateOf(o)]);
  }

  shutdown(): void {
    for (const b of this.#byOrigin.values()) b.shutdown();
  }
}
