import type { Knex } from 'knex';
import type { ChangeEvent } from './envelope.ts';

/**
 * Idempotent, order-safe apply: every read-model row stores the source position of the event
 * that wrote it, and an event only changes a row when it is strictly newer. Re-delivered
 * events (same position) and late events (older position) change nothing, so the projection
 * is correct under at-least-once delivery and connector re-sends.
 */

/** SQL column type for positions: byte-wise comparison of positionKey() strings. */
export const positionColumnType = "VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT ''";

/**
 * The comparable position of an event. Events without a source block (unwrapped rows without
 * `add.fields`) fall back to their Kafka offset, which orders them within their partition.
 */
export function eventPosition(event: Pick<ChangeEvent, 'positionKey' | 'offset'>): string {
  return event.positionKey ?? `offset:${event.offset.padStart(20, '0')}`;
}

/** Keeps, per key, the row with the highest position (the batch's last word on each row). */
export function newestPerKey<T extends Record<string, unknown>>(
  rows: T[],
  keyColumns: string[],
  positionColumn: string,
): T[] {
  const newest = new Map<string, T>();
  for (const row of rows) {
    const key = keyColumns.map((c) => String(row[c])).join('\u0000');
    const seen = newest.get(key);
    if (!seen || String(row[positionColumn]) >= String(seen[positionColumn])) newest.set(key, row);
  }
  return [...newest.values()];
}

const id = (name: string) => `\`${name.replace(/`/g, '``')}\``;

/**
 * One multi-row INSERT … ON DUPLICATE KEY UPDATE where each guarded column takes the new value
 * only if the incoming position is newer. The position column is assigned last: MySQL and
 * MariaDB evaluate the assignments left to right, so earlier ones still see the old position.
 */
export async function upsertNewer(
  db: Knex | Knex.Transaction,
  table: string,
  rows: Record<string, unknown>[],
  options: { keyColumns: string[]; positionColumn: string; chunkSize?: number },
): Promise<void> {
  if (rows.length === 0) return;
  const unique = newestPerKey(rows, options.keyColumns, options.positionColumn);
  const columns = Object.keys(unique[0]!);
  const pos = id(options.positionColumn);
  const guarded = columns.filter((c) => c !== options.positionColumn && !options.keyColumns.includes(c));
  const updates = [
    ...guarded.map((c) => `${id(c)} = IF(VALUES(${pos}) > ${pos}, VALUES(${id(c)}), ${id(c)})`),
    `${pos} = GREATEST(${pos}, VALUES(${pos}))`,
  ].join(', ');
  const rowSql = `(${columns.map(() => '?').join(', ')})`;
  const chunk = options.chunkSize ?? 500;
  for (let i = 0; i < unique.length; i += chunk) {
    const part = unique.slice(i, i + chunk);
    const sql = `INSERT INTO ${id(table)} (${columns.map(id).join(', ')}) VALUES ${part.map(() => rowSql).join(', ')} ON DUPLICATE KEY UPDATE ${updates}`;
    await db.raw(
      sql,
      part.flatMap((row) => columns.map((c) => row[c] as Knex.Value)),
    );
  }
}
