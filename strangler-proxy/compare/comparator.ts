import { dryRunHeader, dryRunValue, type ParsedSourcePosition } from '../../contract/index.ts';
import type { Exchange } from '../shadow-hook.ts';
import type { NoiseState, Outcome } from './comparison-store.ts';
import { type Answer, diffAnswers, type FieldDiff } from './diff.ts';
import { recheckAfterCatchUp } from './lag-recheck.ts';
import type { NoiseModel } from './noise.ts';
import { headerObject } from './redact.ts';
import { type CompareRulesSpec, type CompiledRules, compileRules } from './rules.ts';

/**
 * One comparison, start to end: call the side that did not serve, sometimes legacy a second
 * time (noise), diff under the route's rules, and re-check a mismatch once a lagging new
 * side has caught up (lag; lag-recheck.ts, shared with compareEndpoints) or, when legacy served
 * first and the new side was not behind, against legacy's answer now (a write in between).
 * Everything in a job and its result can cross a worker-thread boundary (structured clone), so
 * the proxy runs this off its event loop.
 */
export interface SendRequest {
  method: string;
  path: string;
  headers: readonly string[];
  body?: Buffer;
}

export type Send = (origin: string, request: SendRequest) => Promise<Answer>;

export interface ComparisonJob {
  exchange: Exchange;
  route: { rules: CompareRulesSpec; legacy: string; new: string };
}

export interface ComparisonResult {
  outcome: Exclude<Outcome, 'shed'>;
  legacy?: Answer;
  candidate?: Answer;
  diffs: FieldDiff[];
  noise: FieldDiff[];
  note?: string;
  /** The noise model after this comparison taught it something (to persist it). */
  noiseState?: NoiseState;
  /**
   * The two answers compared in the end had different statuses (a 400 or 404 where legacy
   * answered 201): counted apart, whatever the rules, for the rehearsal's error gates.
   */
  statusDiffers?: boolean;
}

/** Runs comparisons: in process (library, bench) or inside the comparison worker thread. */
export interface ComparisonExecutor {
  run(job: ComparisonJob): Promise<ComparisonResult>;
  close?(): Promise<void>;
}

export interface ComparatorOptions {
  send: Send;
  noise: NoiseModel;
  /** The legacy database's current position; without it no mismatch is classified as lag. */
  legacyPosition?: () => Promise<ParsedSourcePosition | undefined>;
  lagWaitMs?: number;
  lagPollMs?: number;
}

export class Comparator implements ComparisonExecutor {
  // Rules arrive as their spec (a worker gets plain data, a fresh object per job); each
  // distinct spec compiles once. In process the same object comes back: no key is built.
  readonly #rules = new Map<string, CompiledRules>();
  readonly #bySpec = new WeakMap<CompareRulesSpec, CompiledRules>();

  constructor(private readonly options: ComparatorOptions) {}

  #compiled(spec: CompareRulesSpec): CompiledRules {
    const known = this.#bySpec.get(spec);
    if (known) return known;
    const key = JSON.stringify(spec);
    let rules = this.#rules.get(key);
    if (!rules) {
      rules = compileRules(spec);
      if (this.#rules.size > 1000) this.#rules.clear();
      this.#rules.set(key, rules);
    }
    this.#bySpec.set(spec, rules);
    return rules;
  }

  async run({ exchange, route: target }: ComparisonJob): Promise<ComparisonResult> {
    const rules = this.#compiled(target.rules);
    const route = { rules, legacy: target.legacy, new: target.new };
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
      return { outcome: 'error', note, diffs: [], noise: [] };
    }
    if (exchange.dryRun) return this.#dryRun(exchange, rules, request, served);
    const { send, noise: model } = this.options;
    let other: Answer;
    try {
      other = await send(exchange.otherUpstream, request);
    } catch (err) {
      return {
        outcome: 'error',
        note: `calling ${exchange.other} failed: ${(err as Error).message}`,
        diffs: [],
        noise: [],
      };
    }
    // Read once both answers exist, so it covers any write that either answer may reflect: read
    // before the second call, a write landing between the read and that call made the new side
    // look caught up when legacy's answer already held the write.
    const legacyPosition = await this.options.legacyPosition?.().catch(() => undefined);
    // Legacy's first answer: the noise twin is diffed against it whatever the re-asks do.
    const original = exchange.servedBy === 'legacy' ? served : other;
    let legacy = original;
    let candidate = exchange.servedBy === 'legacy' ? other : served;
    const first = diffAnswers(rules, original, candidate);

    let twin: Answer | undefined;
    if (model.shouldSample(exchange.routeId)) twin = await send(route.legacy, request).catch(() => undefined);

    // Legacy served first (shadow) and the new side was asked afterwards: a write landing in
    // between that the new side already had makes its answer newer than the served one. No
    // position shows that: legacy's answers carry none, and the new side's may still read as
    // behind the server's position, which unrelated writes keep moving. Legacy's answer *now*
    // does. The noise twin, when taken, already is that fresh answer; else legacy is asked
    // once more, only for such a mismatch.
    let note: string | undefined;
    const servedSplit =
      legacyPosition && exchange.servedBy === 'legacy' ? model.split(exchange.routeId, first) : undefined;
    if (servedSplit && servedSplit.real.length > 0) {
      const fresh = twin ?? (await send(route.legacy, request).catch((err: Error) => err));
      if (fresh instanceof Error) {
        note = `legacy re-asked: the call failed, the difference stands: ${fresh.message}`;
      } else if (model.split(exchange.routeId, diffAnswers(rules, fresh, candidate)).real.length === 0) {
        // The record keeps what was served and the diff it showed, as a catch-up lag does. A
        // twin that differed from the served answer differed by the write, not by noise:
        // nothing is learnt from it.
        return {
          outcome: 'lag',
          legacy,
          candidate,
          diffs: servedSplit.real,
          noise: servedSplit.noise,
          note: aheadNote,
        };
      } else {
        // Still different: the diff against legacy's fresh answer, as the catch-up re-check
        // keeps the diff after it. That is the difference left once the write is accounted
        // for; the served answer's own diff would mix the write in.
        legacy = fresh;
        note = "legacy re-asked: still different; diffs against legacy's fresh answer";
      }
    }

    let localNoise: FieldDiff[] = [];
    let noiseState: NoiseState | undefined;
    if (twin) {
      localNoise = diffAnswers(rules, original, twin);
      model.learn(exchange.routeId, localNoise);
      noiseState = model.snapshot();
    }

    const diffs = legacy === original ? first : diffAnswers(rules, legacy, candidate);
    let { real, noise } = model.split(exchange.routeId, diffs, localNoise);
    if (real.length > 0 && legacyPosition) {
      const recheck = await recheckAfterCatchUp(send, route, request, candidate, legacyPosition, {
        waitMs: this.options.lagWaitMs,
        pollMs: this.options.lagPollMs,
      }).catch((err: Error) => {
        // the difference stands; what failed is said, as for the re-ask above
        note ??= `re-check after the new side caught up failed, the difference stands: ${err.message}`;
        return undefined;
      });
      if (recheck) {
        const again = model.split(
          exchange.routeId,
          diffAnswers(rules, recheck.legacy, recheck.candidate),
          localNoise,
        );
        if (again.real.length === 0) {
          return { outcome: 'lag', legacy, candidate, diffs: real, noise, note: recheck.note, noiseState };
        }
        ({ real, noise } = again);
        legacy = recheck.legacy;
        candidate = recheck.candidate;
      }
    }
    const outcome = real.length > 0 ? 'mismatch' : noise.length > 0 ? 'noise' : 'match';
    const statusDiffers = legacy.status !== candidate.status;
    return { outcome, legacy, candidate, diffs: real, noise, note, noiseState, statusDiffers };
  }

  /**
   * A write legacy executed: the new side gets the copy marked as a dry run (it rolls the write
   * back and answers what it would have answered), and that answer is diffed against legacy's
   * once. Legacy is never asked again (no noise twin, no re-check: each would execute the
   * write once more); the route's write rules excuse what each side generates (ids, times),
   * and fields the noise model already knows as noisy stay noise.
   */
  async #dryRun(
    exchange: ComparisonJob['exchange'],
    rules: CompiledRules,
    request: SendRequest,
    served: Answer,
  ): Promise<ComparisonResult> {
    if (exchange.servedBy !== 'legacy')
      return { outcome: 'error', note: 'a dry-run write must be served by legacy', diffs: [], noise: [] };
    let candidate: Answer;
    try {
      candidate = await this.options.send(exchange.otherUpstream, {
        ...request,
        headers: [...request.headers, dryRunHeader, dryRunValue],
      });
    } catch (err) {
      return {
        outcome: 'error',
        note: `calling new with the dry run failed: ${(err as Error).message}`,
        diffs: [],
        noise: [],
      };
    }
    const { real, noise } = this.options.noise.split(exchange.routeId, diffAnswers(rules, served, candidate));
    const outcome = real.length > 0 ? 'mismatch' : noise.length > 0 ? 'noise' : 'match';
    return {
      outcome,
      legacy: served,
      candidate,
      diffs: real,
      noise,
      note: 'write: legacy executed it, the new side answered a dry run',
      statusDiffers: served.status !== candidate.status,
    };
  }
}

const aheadNote =
  "legacy's served answer predates a write the new side already had (legacy re-asked: equal now)";

/** Upstreams can tell a shadow copy from real traffic (and skip side effects such as analytics). */
function withShadowMark(headers: readonly string[]): string[] {
  return [...headers, 'x-strangler-shadow', '1'];
}
