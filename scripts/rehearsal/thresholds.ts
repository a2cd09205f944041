import fs from 'node:fs/promises';
import { z } from 'zod';
import { ToolkitError } from '../../lib/errors.ts';

const rate = (fallback: number) => z.number().min(0).max(1).default(fallback);
const count = (fallback: number) => z.int().min(1).default(fallback);
const millis = (fallback: number) => z.int().min(100).default(fallback);

/**
 * Every number a rehearsal gate reads, with the default a cautious team starts from. Rates are
 * fractions (0.01 = 1 %). A thresholds file (JSON) overrides any subset; CLI flags override the
 * file. docs/guide.md explains each one.
 */
export const thresholdsSchema = z.strictObject({
  parity: z
    .strictObject({
      /** Requests sent both through the proxy and straight to legacy in stage 1. */
      requests: count(60),
      /** Answers allowed to differ through the proxy with the flag off: none by default. */
      maxMismatchRate: rate(0),
    })
    .prefault({}),
  backfill: z
    .strictObject({
      /** Rows allowed to be missing, extra or different in the service's store. */
      maxMismatchedRows: z.int().min(0).default(0),
      /** How long to wait for the service's projection lag to reach 0 before comparing. */
      settleTimeoutMs: millis(60_000),
    })
    .prefault({}),
  shadow: z
    .strictObject({
      requests: count(200),
      maxMismatchRate: rate(0.01),
    })
    .prefault({}),
  traffic: z
    .strictObject({
      /** Request rate and users of the load generator during canary and cutover. */
      rate: z.int().min(1).default(40),
      concurrency: z.int().min(1).max(200).default(8),
      /** A gate is not judged on fewer route requests than this: the step holds ("not enough evidence"). */
      minRequests: count(30),
    })
    .prefault({}),
  canary: z
    .strictObject({
      steps: z
        .array(z.number().gt(0).lt(100))
        .min(1)
        .default([5, 25, 50])
        .refine((s) => s.every((v, i) => i === 0 || v > s[i - 1]!), 'steps must increase, e.g. [5, 25, 50]'),
      stepDurationMs: millis(15_000),
    })
    .prefault({}),
  cutover: z.strictObject({ bakeMs: millis(15_000) }).prefault({}),
  gates: z
    .strictObject({
      /**
       * 5xx and unanswered requests on the route, and compared answers whose status differed
       * from legacy's, as a fraction of its requests.
       */
      maxErrorRate: rate(0.01),
      /** The route's p99 may be at most this multiple of legacy's p99 (stage 0)... */
      maxP99Ratio: z.number().min(1).default(1.5),
      /** ...or legacy's p99 plus this much, whichever is larger: small p99s are noisy. */
      p99SlackMs: z.number().min(0).default(25),
      maxMismatchRate: rate(0.01),
      /**
       * Comparisons (reads and dry-run writes) a mismatch-rate gate needs before it judges:
       * on fewer it holds the stage (not enough evidence), it never passes.
       */
      minComparisons: count(20),
      /** Requests the new side failed and legacy served instead. */
      maxFallbackRate: rate(0.01),
    })
    .prefault({}),
});

export type Thresholds = z.infer<typeof thresholdsSchema>;
export type ThresholdsInput = z.input<typeof thresholdsSchema>;

export class RehearsalError extends ToolkitError {}

export function parseThresholds(raw: unknown, source: string): Thresholds {
  const result = thresholdsSchema.safeParse(raw);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw new RehearsalError(
      'REHEARSE_ERR_BAD_THRESHOLDS',
      `invalid thresholds in ${source}:\n  - ${problems.join('\n  - ')}`,
      {
        context: { source },
      },
    );
  }
  return result.data;
}

/** Merges a plain overlay (from CLI flags) into a parsed file, then validates the whole. */
export async function loadThresholds(
  file: string | undefined,
  overlay: Record<string, Record<string, unknown>> = {},
): Promise<Thresholds> {
  let raw: Record<string, unknown> = {};
  if (file) {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (err) {
      throw new RehearsalError(
        'REHEARSE_ERR_BAD_THRESHOLDS',
        `cannot read thresholds file ${file}: ${(err as Error).message}`,
        { cause: err },
      );
    }
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new RehearsalError(
        'REHEARSE_ERR_BAD_THRESHOLDS',
        `thresholds file ${file} is not JSON: ${(err as Error).message}`,
        { cause: err },
      );
    }
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
      throw new RehearsalError(
        'REHEARSE_ERR_BAD_THRESHOLDS',
        `thresholds file ${file} must hold a JSON object such as {"gates": {"maxErrorRate": 0.02}}`,
      );
    }
  }
  const merged: Record<string, unknown> = { ...raw };
  for (const [section, values] of Object.entries(overlay)) {
    const defined = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined));
    if (Object.keys(defined).length > 0)
      merged[section] = { ...(raw[section] as object | undefined), ...defined };
  }
  return parseThresholds(merged, file ? `${file} and the command-line flags` : 'the command-line flags');
}
