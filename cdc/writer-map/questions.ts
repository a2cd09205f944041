import type { Knex } from 'knex';
import { WriterMapError } from './errors.ts';
import { type TableWriter, type Window, writersDuring } from './store.ts';

/**
 * The two questions the writer map answers: who wrote what during a window, and who else
 * (than a route that is about to take a table set over) wrote those tables. The write switch
 * refuses a move while the second answer is not empty, naming those writers.
 */

const durationPattern = /^(\d+)(s|m|h|d)$/;
const unitMs = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
/** The window when none is asked for. */
export const defaultWindow = '1h';

function instant(value: string, what: string, nowMs: number): Date {
  const d = durationPattern.exec(value);
  if (d) return new Date(nowMs - Number(d[1]) * unitMs[d[2] as keyof typeof unitMs]);
  const t = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : Number.NaN;
  if (Number.isNaN(t))
    throw new WriterMapError(
      'WRITERS_ERR_BAD_WINDOW',
      `${what}=${JSON.stringify(value)} is neither a duration back from now (30s, 15m, 2h, 7d) nor an ISO time (2026-12-06T18:00:00Z)`,
    );
  return new Date(t);
}

/** `since` and `until` as given to the API and the CLI: a duration back from now, or an ISO time. */
export function parseWindow(
  since: string | undefined,
  until: string | undefined,
  nowMs = Date.now(),
): Window {
  const w = {
    since: instant(since ?? defaultWindow, 'since', nowMs),
    until: until === undefined ? new Date(nowMs) : instant(until, 'until', nowMs),
  };
  if (w.until < w.since)
    throw new WriterMapError(
      'WRITERS_ERR_BAD_WINDOW',
      `the window ends (${w.until.toISOString()}) before it starts (${w.since.toISOString()})`,
    );
  return w;
}

const tableName = /^[A-Za-z0-9_$]{1,64}$/;

export function parseTables(
  value: string | readonly string[] | undefined,
  required: boolean,
): string[] | undefined {
  const list = (typeof value === 'string' ? value.split(',') : [...(value ?? [])])
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (list.length === 0) {
    if (!required) return undefined;
    throw new WriterMapError('WRITERS_ERR_BAD_TABLES', 'name the tables: tables=products,inventory');
  }
  const bad = list.filter((t) => !tableName.test(t));
  if (bad.length > 0)
    throw new WriterMapError(
      'WRITERS_ERR_BAD_TABLES',
      `not table names: ${bad.map((t) => JSON.stringify(t)).join(', ')} (letters, digits, _ or $, at most 64)`,
    );
  return [...new Set(list)];
}

const routeWriterPattern = /^[A-Z]+ \/\S*$/;

export function parseExclude(value: string | readonly string[] | undefined): string[] {
  const list = typeof value === 'string' ? [value] : [...(value ?? [])];
  const bad = list.filter((w) => !routeWriterPattern.test(w));
  if (bad.length > 0)
    throw new WriterMapError(
      'WRITERS_ERR_BAD_EXCLUDE',
      `not routes: ${bad.map((w) => JSON.stringify(w)).join(', ')} (a route is METHOD and pattern, e.g. "POST /products")`,
    );
  return list;
}

/**
 * The writer names of a route's writes: each method with each path pattern, as the monolith
 * tags them (the proxy's path patterns and Express's share the `/products/:id` form).
 */
export function routeWriters(writes: { methods: readonly string[]; paths: readonly string[] }): string[] {
  return writes.methods.flatMap((m) => writes.paths.map((p) => `${m.toUpperCase()} ${p}`));
}

export interface OtherWriter extends TableWriter {
  table: string;
}

/**
 * Who else wrote `tables` (of source database `db`, or of any) during `window`: every writer but
 * the `exclude`d routes and the owning service's reverse applier (`origin` writers: the moved
 * writes themselves, coming back); untagged and unknown writers always count. Empty means the
 * tables had no other writer among the changes counted so far.
 */
export async function otherWriters(
  knex: Knex,
  question: { tables: readonly string[]; window: Window; exclude: readonly string[]; db?: string },
): Promise<OtherWriter[]> {
  const excluded = new Set(question.exclude);
  const map = await writersDuring(knex, question.window, { db: question.db, tables: question.tables });
  return [...map].flatMap(([table, writers]) =>
    writers
      .filter((w) => w.kind !== 'origin' && !(w.kind === 'route' && excluded.has(w.writer)))
      .map((w) => ({ table, ...w })),
  );
}

/** One line per other writer, for a refusal message: `inventory: POST /orders (12 changes, last 2026-…)`. */
export function describeOtherWriters(others: readonly OtherWriter[]): string {
  return others
    .map(
      (o) => `${o.table}: ${o.writer} (${o.changes} change${o.changes === 1 ? '' : 's'}, last ${o.lastAt})`,
    )
    .join('; ');
}
