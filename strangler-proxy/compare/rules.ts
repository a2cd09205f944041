import { z } from 'zod';
import { ToolkitError } from '../../lib/errors.ts';
import { compilePath, type PathPattern } from './json-path.ts';

/**
 * Per-route comparison rules, as written in the route table under `compare.rules`.
 * Every option is off by default: two answers match only when they are equal, so each
 * relaxation is a visible, reviewed decision in the route file.
 */
const jsonPath = z.string().refine((s) => {
  try {
    compilePath(s);
    return true;
  } catch {
    return false;
  }
}, 'a JSONPath-like pattern such as "$.items[*].updatedAt" or "$..createdAt"');

export const compareRulesSchema = z
  .object({
    /** Compare the status code (default true). */
    status: z.boolean().default(true),
    /** Response headers to compare (case-insensitive names); others are ignored. */
    headers: z.array(z.string().min(1)).default(['content-type']),
    /** Body fields left out of the comparison. */
    ignore: z.array(jsonPath).default([]),
    /** Arrays compared regardless of order: as sets, or sorted by a key field first. */
    arrays: z
      .array(
        z
          .object({ path: jsonPath, mode: z.enum(['set', 'sortBy']), key: z.string().optional() })
          .strict()
          .refine((a) => a.mode !== 'sortBy' || a.key, 'mode "sortBy" needs a "key", e.g. "id"'),
      )
      .default([]),
    /** Numbers within this absolute or relative distance are equal. */
    numericTolerance: z
      .object({ absolute: z.number().min(0).default(0), relative: z.number().min(0).default(0) })
      .strict()
      .optional(),
    /** "12.30" equals 12.3 and "12.3" (decimal strings compared as decimals). */
    decimalStringsAsNumbers: z.boolean().default(false),
    /** Date strings in any ISO-8601 / RFC 2822 form compared as instants. */
    normaliseDates: z.boolean().default(false),
    /**
     * Fields each side makes up on a write (the new row's id, its creation and change times):
     * equal when both hold the same kind of value (a number, a date, other text), whatever the
     * value. Meant for `compare.writeRules`: legacy's id 5012 and the dry run's 2000000007 agree.
     */
    generated: z.array(jsonPath).default([]),
  })
  .strict();

export type CompareRulesInput = z.input<typeof compareRulesSchema>;
export type CompareRulesSpec = z.output<typeof compareRulesSchema>;

export interface CompiledRules {
  spec: CompareRulesSpec;
  status: boolean;
  headers: string[];
  ignore: PathPattern[];
  arrays: { pattern: PathPattern; mode: 'set' | 'sortBy'; key?: string }[];
  tolerance?: { absolute: number; relative: number };
  decimalStringsAsNumbers: boolean;
  normaliseDates: boolean;
  generated: PathPattern[];
}

export class CompareRulesError extends ToolkitError {
  constructor(problems: string[]) {
    super('PROXY_ERR_COMPARE_RULES_INVALID', `invalid comparison rules:\n  - ${problems.join('\n  - ')}`);
  }
}

export function compileRules(input: CompareRulesInput = {}): CompiledRules {
  const parsed = compareRulesSchema.safeParse(input);
  if (!parsed.success) {
    throw new CompareRulesError(
      parsed.error.issues.map((i) => `${i.path.join('.') || '(rules)'}: ${i.message}`),
    );
  }
  const spec = parsed.data;
  return {
    spec,
    status: spec.status,
    headers: spec.headers.map((h) => h.toLowerCase()),
    ignore: spec.ignore.map(compilePath),
    arrays: spec.arrays.map((a) => ({ pattern: compilePath(a.path), mode: a.mode, key: a.key })),
    tolerance: spec.numericTolerance,
    decimalStringsAsNumbers: spec.decimalStringsAsNumbers,
    normaliseDates: spec.normaliseDates,
    generated: spec.generated.map(compilePath),
  };
}
