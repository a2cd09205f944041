import { createHash } from 'node:crypto';
import { fieldOf, formatPath, matchesPath, type PathSegment } from './json-path.ts';
import type { CompiledRules } from './rules.ts';

/**
 * Structural comparison of two HTTP answers under a route's rules, producing field-level
 * diffs. `legacy` is the reference; `new` is the candidate.
 */
export type DiffKind = 'status' | 'header' | 'changed' | 'type' | 'missing' | 'extra' | 'body';

export interface FieldDiff {
  /** Concrete path, e.g. `$.items[3].price`. */
  path: string;
  /** The same path with indexes as [*], for counting the most frequent differing fields. */
  field: string;
  kind: DiffKind;
  legacy?: unknown;
  new?: unknown;
}

export interface Answer {
  status: number;
  /** Lower-case header names. */
  headers: Record<string, string | undefined>;
  body: Buffer;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const decimalPattern = /^-?\d+(\.\d+)?$/;

function isIgnored(rules: CompiledRules, path: readonly PathSegment[]): boolean {
  return rules.ignore.some((p) => matchesPath(p, path));
}

function asDecimal(value: unknown): string | undefined {
  let text: string;
  if (typeof value === 'number' && Number.isFinite(value)) text = String(value);
  else if (typeof value === 'string' && decimalPattern.test(value)) text = value;
  else return undefined;
  // Canonical decimal: no trailing fractional zeros, no "-0".
  const [int, frac = ''] = text.replace(/^-/, '').split('.');
  const trimmed = frac.replace(/0+$/, '');
  const body = `${BigInt(int!).toString()}${trimmed ? `.${trimmed}` : ''}`;
  return text.startsWith('-') && body !== '0' ? `-${body}` : body;
}

const dateLike =
  /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$|^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4}/;

function asInstant(value: unknown): number | undefined {
  if (typeof value !== 'string' || !dateLike.test(value)) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** What a generated field holds, for `generated`: its kind, never its value. */
function generatedKind(value: Json): string {
  if (typeof value === 'string') return asInstant(value) !== undefined ? 'date' : 'text';
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function scalarsEqual(rules: CompiledRules, a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a === 'number' && typeof b === 'number' && rules.tolerance) {
    const diff = Math.abs(a - b);
    return (
      diff <= rules.tolerance.absolute ||
      diff <= rules.tolerance.relative * Math.max(Math.abs(a), Math.abs(b))
    );
  }
  if (rules.decimalStringsAsNumbers) {
    const da = asDecimal(a);
    const db = asDecimal(b);
    if (da !== undefined && db !== undefined) {
      if (da === db) return true;
      if (rules.tolerance) return scalarsEqual(rules, Number(da), Number(db));
      return false;
    }
  }
  if (rules.normaliseDates) {
    const ta = asInstant(a);
    const tb = asInstant(b);
    if (ta !== undefined && tb !== undefined) return ta === tb;
  }
  return false;
}

const typeOf = (v: Json) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** A canonical rendering with ignored fields removed, for set comparison and sorting. */
function canonical(rules: CompiledRules, value: Json, path: PathSegment[]): string {
  if (Array.isArray(value)) return `[${value.map((v, i) => canonical(rules, v, [...path, i])).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value)
      .filter((k) => !isIgnored(rules, [...path, k]))
      .sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(rules, value[k]!, [...path, k])}`).join(',')}}`;
  }
  if (rules.decimalStringsAsNumbers) {
    const d = asDecimal(value);
    if (d !== undefined) return `#${d}`;
  }
  return JSON.stringify(value);
}

function compareArrays(
  rules: CompiledRules,
  a: Json[],
  b: Json[],
  path: PathSegment[],
  out: FieldDiff[],
): void {
  const rule = rules.arrays.find((r) => matchesPath(r.pattern, path));
  if (rule?.mode === 'set') {
    const keysA = a.map((v) => canonical(rules, v, [...path, 0]));
    const keysB = b.map((v) => canonical(rules, v, [...path, 0]));
    const unmatched = (mine: string[], theirs: string[]) => {
      const counts = new Map<string, number>();
      for (const k of theirs) counts.set(k, (counts.get(k) ?? 0) + 1);
      return mine.map((k) => {
        const n = counts.get(k) ?? 0;
        counts.set(k, n - 1);
        return n <= 0;
      });
    };
    unmatched(keysA, keysB).forEach((lost, i) => {
      if (lost) push(out, [...path, i], 'missing', a[i], undefined);
    });
    unmatched(keysB, keysA).forEach((added, i) => {
      if (added) push(out, [...path, i], 'extra', undefined, b[i]);
    });
    return;
  }
  if (rule?.mode === 'sortBy') {
    const sortKey = (v: Json) =>
      v && typeof v === 'object' && !Array.isArray(v)
        ? canonical(rules, v[rule.key!] ?? null, [])
        : canonical(rules, v, []);
    const order = (x: Json, y: Json) => (sortKey(x) < sortKey(y) ? -1 : sortKey(x) > sortKey(y) ? 1 : 0);
    a = [...a].sort(order);
    b = [...b].sort(order);
  }
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (i >= b.length) push(out, [...path, i], 'missing', a[i], undefined, rules);
    else if (i >= a.length) push(out, [...path, i], 'extra', undefined, b[i], rules);
    else compareValues(rules, a[i]!, b[i]!, [...path, i], out);
  }
}

function push(
  out: FieldDiff[],
  path: PathSegment[],
  kind: DiffKind,
  legacy: unknown,
  candidate: unknown,
  rules?: CompiledRules,
): void {
  if (rules && isIgnored(rules, path)) return;
  out.push({ path: formatPath(path), field: fieldOf(path), kind, legacy, new: candidate });
}

function compareValues(rules: CompiledRules, a: Json, b: Json, path: PathSegment[], out: FieldDiff[]): void {
  if (isIgnored(rules, path)) return;
  if (
    rules.generated.length > 0 &&
    rules.generated.some((p) => matchesPath(p, path)) &&
    generatedKind(a) === generatedKind(b)
  )
    return;
  const ta = typeOf(a);
  const tb = typeOf(b);
  if (ta === 'array' && tb === 'array') {
    compareArrays(rules, a as Json[], b as Json[], path, out);
    return;
  }
  if (ta === 'object' && tb === 'object') {
    const oa = a as Record<string, Json>;
    const ob = b as Record<string, Json>;
    for (const key of Object.keys(oa)) {
      if (!(key in ob)) push(out, [...path, key], 'missing', oa[key], undefined, rules);
      else compareValues(rules, oa[key]!, ob[key]!, [...path, key], out);
    }
    for (const key of Object.keys(ob))
      if (!(key in oa)) push(out, [...path, key], 'extra', undefined, ob[key], rules);
    return;
  }
  if (scalarsEqual(rules, a, b)) return;
  push(
    out,
    path,
    ta === tb || ta === 'object' || tb === 'object' || ta === 'array' || tb === 'array' ? 'changed' : 'type',
    a,
    b,
  );
}

// One answer is often diffed more than once (legacy against new and against its own second
// answer for noise): its body is parsed once.
const parsed = new WeakMap<Buffer, { value: Json } | undefined>();

/** Parses a JSON body; undefined when it is not JSON (compared by hash instead). */
function parseJson(answer: Answer): { value: Json } | undefined {
  if (parsed.has(answer.body)) return parsed.get(answer.body);
  const result = parseJsonOnce(answer);
  parsed.set(answer.body, result);
  return result;
}

function parseJsonOnce(answer: Answer): { value: Json } | undefined {
  // The declared type decides; only an answer without one is sniffed.
  const type = answer.headers['content-type'];
  const looksJson =
    type === undefined
      ? /^\s*[[{]/.test(answer.body.subarray(0, 16).toString('utf8'))
      : /\bjson\b/i.test(type);
  if (!looksJson) return undefined;
  try {
    return { value: JSON.parse(answer.body.toString('utf8')) as Json };
  } catch {
    return undefined;
  }
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export function diffBodies(rules: CompiledRules, legacy: Answer, candidate: Answer): FieldDiff[] {
  const out: FieldDiff[] = [];
  const a = parseJson(legacy);
  const b = parseJson(candidate);
  if (a && b) compareValues(rules, a.value, b.value, [], out);
  else if (!legacy.body.equals(candidate.body)) {
    out.push({
      path: '$',
      field: '$',
      kind: 'body',
      legacy: `sha256:${sha256(legacy.body)}`,
      new: `sha256:${sha256(candidate.body)}`,
    });
  }
  return out;
}

/** Every difference between the two answers that the rules do not excuse. */
export function diffAnswers(rules: CompiledRules, legacy: Answer, candidate: Answer): FieldDiff[] {
  const out: FieldDiff[] = [];
  if (rules.status && legacy.status !== candidate.status) {
    out.push({
      path: 'status',
      field: 'status',
      kind: 'status',
      legacy: legacy.status,
      new: candidate.status,
    });
  }
  for (const name of rules.headers) {
    const l = normaliseHeader(name, legacy.headers[name]);
    const r = normaliseHeader(name, candidate.headers[name]);
    if (l !== r)
      out.push({ path: `header:${name}`, field: `header:${name}`, kind: 'header', legacy: l, new: r });
  }
  out.push(...diffBodies(rules, legacy, candidate));
  return out;
}

// "application/json; charset=utf-8" and "application/json;charset=UTF-8" say the same thing.
function normaliseHeader(name: string, value: string | undefined): string | undefined {
  if (value === undefined || name !== 'content-type') return value;
  return value.toLowerCase().replace(/\s*;\s*/g, ';');
}
