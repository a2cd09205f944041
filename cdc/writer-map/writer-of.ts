import { parseOriginTag, parseSqlTag } from '../../contract/index.ts';
import type { Row } from '../consumer/index.ts';

/**
 * Who wrote a change, from the event's `source` block:
 * - `route`: the statement carries the monolith's tag (contract/sql-tag.ts): `POST /products`;
 * - `untagged`: a statement without the tag: a batch job, a console, a migration, another app;
 * - `unknown`: no statement at all: the connector runs without `include.query`, or the server
 *   does not annotate its row events (`binlog_annotate_row_events` / MySQL's
 *   `binlog_rows_query_log_events` off). Nobody can say who wrote it, so it counts as a writer
 *   that is not the moving route. An event without a `source` block (ExtractNewRecordState
 *   without `add.fields`) is `unknown` too: a stream that cannot say who wrote must never
 *   read as "nobody else wrote".
 * - `origin`: the statement carries a sync path's origin tag (`strangler_origin='reverse-sync'`,
 *   contract/sql-tag.ts): the service that owns the table, writing back through the reverse
 *   applier; the writer is `origin:reverse-sync`.
 * Snapshot reads are not writes: undefined.
 */
export type WriterKind = 'route' | 'untagged' | 'unknown' | 'origin';

export interface ObservedWrite {
  kind: WriterKind;
  /** The route (`POST /products`), `origin:reverse-sync`, or `untagged` / `unknown`. */
  writer: string;
  traceparent: string | null;
  /** The statement, for an untagged writer (what an operator greps the batch jobs for). */
  statement: string | null;
}

/** Debezium's `source.snapshot`: `false` (or absent) for streamed changes, anything else in a snapshot. */
function isSnapshot(source: Row): boolean {
  const snapshot = source.snapshot;
  return snapshot !== undefined && snapshot !== null && snapshot !== false && snapshot !== 'false';
}

export function writerOf(source: Row | null): ObservedWrite | undefined {
  if (!source) return { kind: 'unknown', writer: 'unknown', traceparent: null, statement: null };
  if (isSnapshot(source)) return undefined;
  const query = typeof source.query === 'string' ? source.query : '';
  if (query === '') return { kind: 'unknown', writer: 'unknown', traceparent: null, statement: null };
  const origin = parseOriginTag(query);
  if (origin !== undefined)
    return { kind: 'origin', writer: `origin:${origin}`, traceparent: null, statement: null };
  const tag = parseSqlTag(query);
  if (tag?.route)
    return { kind: 'route', writer: tag.route, traceparent: tag.traceparent ?? null, statement: null };
  return { kind: 'untagged', writer: 'untagged', traceparent: null, statement: query };
}
