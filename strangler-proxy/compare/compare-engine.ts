import type { Logger } from '../../lib/log.ts';
import type { Exchange, ShadowHook } from '../shadow-hook.ts';
import type { CaptureWriter } from './capture.ts';
import type { ComparisonStore, Outcome, RecordedAnswer } from './comparison-store.ts';
import { type Answer, diffAnswers, type FieldDiff } from './diff.ts';
import type { NoiseModel } from './noise.ts';
import {
  headerObject,
  type RedactionRules,
  redactBody,
  redactDiffs,
  redactHeaders,
  redactPath,
} from './redact.ts';
import type { CompiledRules } from './rules.ts';
import { comparePositions, type Position, parsePosition, positionHeader } from './source-position.ts';

/**
 * The comparison engine as the proxy's shadow hook. The client never waits for it:
 * `onExchange` only queues. A bounded number of comparisons run at once; beyond a bounded
 * queue an exchange is shed and counted. Each comparison calls the side that did not serve,
 * sometimes legacy a second time (noise), diffs under the route's rules, re-checks a
 * mismatch once a lagging new side has caught up (lag), and records the outcome.
 */
export interface EngineRoute {
  rules: CompiledRules;
  legacy: string;
  new: string;
  /** Methods compared (default GET, HEAD: a write is never sent twice unless opted in). */
  methods: ReadonlySet<string>;
  /** In mode `new`, legacy is still called in the background until this time (bake period). */
  bakeUntil?: number;
}

export interface SendRequest {
  method: string;
  path: string;
  headers: readonly string[];
  body?: Buffer;
}

export type Send = (origin: string, request: SendRequest) => Promise<Answer>;

export interface CompareEngineOptions {
  routes: (routeId: string) => EngineRoute | undefined;
  send: Send;
  store: ComparisonStore;
  noise: NoiseModel;
  redaction: RedactionRules;
  /** The legacy database's current position; without it no mismatch is classified as lag. */
  legacyPosition?: () => Promise<Position | undefined>;
  capture?: CaptureWriter;
  concurrency?: number;
  queueLimit?: number;
  lagWaitMs?: number;
  lagPollMs?: number;
  log?: Logger;
}

interface Job {
  exchange: Exchange;
  route: EngineRoute;
}

export class CompareEngine implements ShadowHook {
  readonly modes = new Set(['shadow', 'canary', 'new'] as const);
  readonly #queue: Job[] = [];
  #running = 0;
  #idle: (() => void)[] = [];
  #closed = false;
  readonly #concurrency: number;
  readonly #queueLimit: number;

  constructor(private readonly options: CompareEngineOptions) {
    this.#concurrency = options.concurrency ?? 8;
    this.#queueLimit = options.queueLimit ?? 256;
  }

  onExchange(exchange: Exchange): void {
    if (this.#closed) return;
    const route = this.options.routes(exchange.routeId);
    if (!route?.methods.has(exchange.request.method)) return;
    if (
      exchange.mode === 'new' &&
      exchange.servedBy === 'new' &&
      !(route.bakeUntil && Date.now() < route.bakeUntil)
    )
      return;
    this.options.capture?.offer(exchange, this.options.redaction);
    if (this.#running >= this.#concurrency && this.#queue.length >= this.#queueLimit) {
      this.options.store.count(exchange.routeId, 'shed');
      return;
    }
    this.#queue.push({ exchange, route });
    this.#pump();
  }

  #pump(): void {
    while (this.#running < this.#concurrency && this.#queue.length > 0) {
      const job = this.#queue.shift()!;
      this.#running++;
      this.#compare(job)
        .catch((err: Error) =>
          this.options.log?.warn({ err: err.message, route: job.exchange.routeId }, 'comparison failed'),
        )
        .finally(() => {
          this.#running--;
          this.#pump();
          if (this.#running === 0 && this.#queue.length === 0)
            for (const done of this.#idle.splice(0)) done();
        });
    }
  }

  /** Resolves when every queued comparison has finished (tests, shutdown). */
  drain(): Promise<void> {
    if (this.#running === 0 && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.drain();
    this.options.store.setNoiseState(this.options.noise.snapshot());
  }

  async #compare({ exchange, route }: Job): Promise<void> {
    const request: SendRequest = {
      method: exchange.request.method,
      path: exchange.request.path,
      headers: withShadowMark(exchange.request.headers),
      body: exchange.request.body,
    };
    const served: Answer = {
      status: exchange.response.status,
      headers: headerObject(exchange.response.headers),
      body: exchange.response.body,
    };
    if (exchange.fellBack || exchange.response.truncated || exchange.request.bodyTruncated) {
      const note = exchange.fellBack
        ? 'the new side failed and legacy served (fallback): nothing to compare'
        : 'a body was larger than compare.maxBodyBytes: not compared';
      this.#finish(exchange, route, 'error', { note, diffs: [], noise: [] });
      return;
    }
    const legacyPosition = await this.options.legacyPosition?.().catch(() => undefined);
    let other: Answer;
    try {
      other = await this.options.send(exchange.otherUpstream, request);
    } catch (err) {
      this.#finish(exchange, route, 'error', {
        note: `calling ${exchange.other} failed: ${(err as Error).message}`,
        diffs: [],
        noise: [],
      });
      return;
    }
    let legacy = exchange.servedBy === 'legacy' ? served : other;
    let candidate = exchange.servedBy === 'legacy' ? other : served;

    let localNoise: FieldDiff[] = [];
    if (this.options.noise.shouldSample(exchange.routeId)) {
      const again = await this.options.send(route.legacy, request).catch(() => undefined);
      if (again) {
        localNoise = diffAnswers(route.rules, legacy, again);
        this.options.noise.learn(exchange.routeId, localNoise);
        // saved with the counters (at most a second later), so a crash keeps what was learnt
        this.options.store.setNoiseState(this.options.noise.snapshot());
      }
    }

    let { real, noise } = this.options.noise.split(
      exchange.routeId,
      diffAnswers(route.rules, legacy, candidate),
      localNoise,
    );
    if (real.length > 0 && legacyPosition) {
      const recheck = await this.#afterCatchUp(route, request, candidate, legacyPosition);
      if (recheck) {
        const again = this.options.noise.split(
          exchange.routeId,
          diffAnswers(route.rules, recheck.legacy, recheck.candidate),
          localNoise,
        );
        if (again.real.length === 0) {
          this.#finish(exchange, route, 'lag', { legacy, candidate, diffs: real, noise, note: recheck.note });
          return;
        }
        ({ real, noise } = again);
        legacy = recheck.legacy;
        candidate = recheck.candidate;
      }
    }
    const outcome: Outcome = real.length > 0 ? 'mismatch' : noise.length > 0 ? 'noise' : 'match';
    this.#finish(exchange, route, outcome, { legacy, candidate, diffs: real, noise });
  }

  /**
   * When the new side answered from a store behind the legacy database, waits (bounded)
   * until its position advances past where legacy was, then asks both sides again.
   * Undefined when the new side was not behind, reports no position, or never caught up.
   */
  async #afterCatchUp(route: EngineRoute, request: SendRequest, candidate: Answer, legacyAt: Position) {
    const before = parsePosition(candidate.headers[positionHeader]);
    if (!before || (comparePositions(before, legacyAt) ?? 0) >= 0) return undefined;
    const deadline = Date.now() + (this.options.lagWaitMs ?? 5000);
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, this.options.lagPollMs ?? 200));
      const probe = await this.options.send(route.new, request).catch(() => undefined);
      const now = parsePosition(probe?.headers[positionHeader]);
      if (!probe || !now) continue;
      // Caught up: at or past legacy's position, or moved on from where it was (the
      // position it reports is the start of the last applied event, which can stay just
      // below the server's end-of-log position forever once writes stop).
      if ((comparePositions(now, legacyAt) ?? -1) >= 0 || (comparePositions(now, before) ?? 0) > 0) {
        const legacy = await this.options.send(route.legacy, request);
        const fresh = await this.options.send(route.new, request);
        return {
          legacy,
          candidate: fresh,
          note: `new side was at ${candidate.headers[positionHeader]}, behind legacy; re-checked after it caught up`,
        };
      }
    }
    return undefined;
  }

  #finish(
    exchange: Exchange,
    route: EngineRoute,
    outcome: Outcome,
    detail: { legacy?: Answer; candidate?: Answer; diffs: FieldDiff[]; noise: FieldDiff[]; note?: string },
  ): void {
    const { store, redaction } = this.options;
    store.count(exchange.routeId, outcome);
    if (outcome === 'match' || outcome === 'shed') return;
    const requestHeaders = headerObject(exchange.request.headers);
    store.record({
      routeId: exchange.routeId,
      outcome,
      request: {
        method: exchange.request.method,
        path: redactPath(exchange.request.path, redaction),
        headers: redactHeaders(requestHeaders, redaction),
        body: redactBody(exchange.request.body, requestHeaders['content-type'], redaction),
      },
      legacy: detail.legacy && recorded(detail.legacy, redaction),
      new: detail.candidate && recorded(detail.candidate, redaction),
      diffs: redactDiffs(detail.diffs, redaction),
      noise: redactDiffs(detail.noise, redaction),
      note:
        detail.note ?? (route.bakeUntil && exchange.mode === 'new' ? 'bake-period legacy shadow' : undefined),
    });
  }
}

function recorded(answer: Answer, redaction: RedactionRules): RecordedAnswer {
  return {
    status: answer.status,
    headers: redactHeaders(answer.headers, redaction),
    body: redactBody(answer.body, answer.headers['content-type'], redaction),
  };
}

/** Upstreams can tell a shadow copy from real traffic (and skip side effects such as analytics). */
function withShadowMark(headers: readonly string[]): string[] {
  return [...headers, 'x-strangler-shadow', '1'];
}
