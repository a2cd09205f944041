import type { FieldDiff } from './diff.ts';

/**
 * Noise, as Twitter's Diffy finds it: for a sample of requests legacy is asked twice, and a
 * field that differs between two legacy answers to the same request (a timestamp, a random
 * id) is noise for that route. A difference between legacy and new on a noisy field is
 * reported apart and never counts as a mismatch.
 */
export class NoiseModel {
  readonly #fields = new Map<string, Map<string, number>>();
  readonly #samples = new Map<string, number>();

  constructor(private readonly options: { sampleRate: number; warmup: number }) {}

  /** Whether to ask legacy a second time for this request: always during warm-up, then sampled. */
  shouldSample(routeId: string): boolean {
    const seen = this.#samples.get(routeId) ?? 0;
    return seen < this.options.warmup || Math.random() < this.options.sampleRate;
  }

  /** Learns from the differences between two legacy answers to the same request. */
  learn(routeId: string, legacyVsLegacy: FieldDiff[]): void {
    this.#samples.set(routeId, (this.#samples.get(routeId) ?? 0) + 1);
    const fields = this.#fields.get(routeId) ?? new Map<string, number>();
    this.#fields.set(routeId, fields);
    for (const d of legacyVsLegacy) fields.set(d.field, (fields.get(d.field) ?? 0) + 1);
  }

  /** Splits legacy-vs-new differences into real ones and those on noisy fields. */
  split(
    routeId: string,
    diffs: FieldDiff[],
    alsoNoisy: FieldDiff[] = [],
  ): { real: FieldDiff[]; noise: FieldDiff[] } {
    const fields = this.#fields.get(routeId);
    const local = new Set(alsoNoisy.map((d) => d.field));
    const real: FieldDiff[] = [];
    const noise: FieldDiff[] = [];
    for (const d of diffs) (fields?.has(d.field) || local.has(d.field) ? noise : real).push(d);
    return { real, noise };
  }

  /** Noisy fields per route with how often each differed between two legacy answers. */
  snapshot(): Record<string, { samples: number; fields: Record<string, number> }> {
    const out: Record<string, { samples: number; fields: Record<string, number> }> = {};
    for (const [route, samples] of this.#samples) {
      out[route] = { samples, fields: Object.fromEntries(this.#fields.get(route) ?? []) };
    }
    return out;
  }

  restore(state: Record<string, { samples: number; fields: Record<string, number> }>): void {
    for (const [route, { samples, fields }] of Object.entries(state)) {
      this.#samples.set(route, samples);
      this.#fields.set(route, new Map(Object.entries(fields)));
    }
  }
}
