/**
 * JSONPath-like patterns for comparison rules:
 *   $.items[*].updatedAt   any element of items
 *   $..createdAt           createdAt at any depth
 *   $.payment.*            any key of payment
 *   $.items[0].id          one element
 * A concrete path is an array of keys and indexes; patterns compile once per rule set.
 */
export type PathSegment = string | number;

type PatternSegment =
  | { kind: 'key'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'any' }
  | { kind: 'descent' };

export class PathPatternError extends Error {
  readonly code = 'PROXY_ERR_COMPARE_PATH';
}

export interface PathPattern {
  source: string;
  segments: PatternSegment[];
}

const token = /\.\.|\.([A-Za-z_$][\w$-]*|\*)|\[(\*|\d+|'[^']*'|"[^"]*")\]/y;

export function compilePath(source: string): PathPattern {
  if (!source.startsWith('$'))
    throw new PathPatternError(`path "${source}" must start with "$", e.g. "$.items[*].updatedAt"`);
  const segments: PatternSegment[] = [];
  let at = 1;
  while (at < source.length) {
    token.lastIndex = at;
    const m = token.exec(source);
    if (!m) throw new PathPatternError(`path "${source}" is not understood at "${source.slice(at)}"`);
    at = token.lastIndex;
    if (m[0] === '..') {
      segments.push({ kind: 'descent' });
      // `$..name` and `$..*`: the name follows without its own dot.
      const rest = /[A-Za-z_$][\w$-]*|\*/y;
      rest.lastIndex = at;
      const n = rest.exec(source);
      if (n) {
        at = rest.lastIndex;
        segments.push(n[0] === '*' ? { kind: 'any' } : { kind: 'key', name: n[0] });
      }
    } else if (m[1] !== undefined)
      segments.push(m[1] === '*' ? { kind: 'any' } : { kind: 'key', name: m[1] });
    else if (m[2] === '*') segments.push({ kind: 'any' });
    else if (/^\d+$/.test(m[2]!)) segments.push({ kind: 'index', index: Number(m[2]) });
    else segments.push({ kind: 'key', name: m[2]!.slice(1, -1) });
  }
  return { source, segments };
}

function matchFrom(pattern: PatternSegment[], pi: number, path: readonly PathSegment[], i: number): boolean {
  if (pi === pattern.length) return i === path.length;
  const seg = pattern[pi]!;
  if (seg.kind === 'descent') {
    for (let j = i; j <= path.length; j++) if (matchFrom(pattern, pi + 1, path, j)) return true;
    return false;
  }
  if (i === path.length) return false;
  const part = path[i]!;
  const ok =
    seg.kind === 'any' ||
    (seg.kind === 'key' && part === seg.name) ||
    (seg.kind === 'index' && part === seg.index);
  return ok && matchFrom(pattern, pi + 1, path, i + 1);
}

export function matchesPath(pattern: PathPattern, path: readonly PathSegment[]): boolean {
  return matchFrom(pattern.segments, 0, path, 0);
}

/** `['items', 3, 'price']` → `$.items[3].price`. */
export function formatPath(path: readonly PathSegment[]): string {
  let out = '$';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(part)) out += `.${part}`;
    else out += `['${part}']`;
  }
  return out;
}

/** A path with its indexes replaced by [*]: the field a diff is "about", for counting. */
export function fieldOf(path: readonly PathSegment[]): string {
  return formatPath(path).replace(/\[\d+\]/g, '[*]');
}
