import type { Knex } from 'knex';
import type { ChangeEvent } from './envelope.ts';
import { ConsumerError } from './errors.ts';

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

/** The columns a row carries: `undefined` is absent (the event did not say), `null` is NULL. */
const present = (row: Record<string, unknown>) => Object.keys(row).filter((c) => row[c] !== undefined);

/**
 * Per key, the rows that still matter, oldest first, each cut to the columns no newer row of
 * the key carries. Applied in that order with the position guard, they leave every column with
 * the value of the newest row that carries it, when that row is newer than the stored one, which
 * is what applying every row one by one would do. With one column set (the usual case) that is
 * the newest row alone.
 */
function layers(
  rows: Record<string, unknown>[],
  keyColumns: string[],
  positionColumn: string,
): Record<string, unknown>[][] {
  const fixed = new Set([...keyColumns, positionColumn]);
  const byKey = new Map<string, Record<string, unknown>[]>();
  for (const [n, row] of rows.entries()) {
    if (row === null || typeof row !== 'object' || Array.isArray(row))
      throw new ConsumerError('CDC_ERR_UPSERT_ROW', `upsertNewer: row ${n} is not an object`);
    for (const c of fixed)
      if (row[c] === undefined || row[c] === null)
        throw new ConsumerError(
          'CDC_ERR_UPSERT_ROW',
          `upsertNewer: row ${n} has no ${c === positionColumn ? 'position column' : 'key column'} ${c}`,
          { context: { row: n, column: c } },
        );
    const key = keyColumns.map((c) => String(row[c])).join('\u0000');
    byKey.set(key, [...(byKey.get(key) ?? []), row]);
  }
  const rounds: Record<string, unknown>[][] = [];
  for (const list of byKey.values()) {
    // newest first; equal positions: the later row is the newer word (as newestPerKey)
    const ordered = list
      .map((row, n) => ({ row, n }))
      .sort((a, b) => {
        const pa = String(a.row[positionColumn]);
        const pb = String(b.row[positionColumn]);
        return pa === pb ? b.n - a.n : pa < pb ? 1 : -1;
      });
    const covered = new Set<string>();
    const kept: Record<string, unknown>[] = [];
    for (const { row } of ordered) {
      const own = present(row).filter((c) => !fixed.has(c) && !covered.has(c));
      if (kept.length > 0 && own.length === 0) continue; // everything it says, a newer row says too
      const cut: Record<string, unknown> = {};
      for (const c of fixed) cut[c] = row[c];
      for (const c of own) {
        cut[c] = row[c];
        covered.add(c);
      }
      kept.push(cut);
    }
    kept.reverse().forEach((row, round) => {
      rounds[round] = [...(rounds[round] ?? []), row];
    });
  }
  return rounds;
}

/**
 * One multi-row INSERT … ON DUPLICATE KEY UPDATE where each guarded column takes the new value
 * only if the incoming position is newer. The position column is assigned last: MySQL and
 * MariaDB evaluate the assignments left to right, so earlier ones still see the old position.
 *
 * Rows may carry different columns: a column a row lacks (absent or `undefined`) is left as
 * stored, never set to NULL. Rows are grouped by column set, one statement per group; when a
 * key's rows differ in columns, its older rows go first, cut to what no newer row overwrites.
 * A row without a key or position column is refused (CDC_ERR_UPSERT_ROW).
 */
export async function upsertNewer(
  db: Knex | Knex.Transaction,
  table: string,
  rows: Record<string, unknown>[],
  options: { keyColumns: string[]; positionColumn: string; chunkSize?: number },
): Promise<void> {
  if (rows.length === 0) return;
  const pos = id(options.positionColumn);
  const chunk = options.chunkSize ?? 500;
  for (const round of layers(rows, options.keyColumns, options.positionColumn)) {
    const groups = new Map<string, { columns: string[]; rows: Record<string, unknown>[] }>();
    for (const row of round) {
      const columns = present(row);
      const signature = [...columns].sort().join('\u0000');
      const group = groups.get(signature) ?? { columns, rows: [] };
      group.rows.push(row);
      groups.set(signature, group);
    }
    for (const { columns, rows: list } of groups.values()) {
      const guarded = columns.filter((c) => c !== options.positionColumn && !options.keyColumns.includes(c));
      const updates = [
        ...guarded.map((c) => `${id(c)} = IF(VALUES(${pos}) > ${pos}, VALUES(${id(c)}), ${id(c)})`),
        `${pos} = GREATEST(${pos}, VALUES(${pos}))`,
      ].join(', ');
      const rowSql = `(${columns.map(() => '?').join(', ')})`;
      for (let i = 0; i < list.length; i += chunk) {
        const part = list.slice(i, i + chunk);
        const sql = `INSERT INTO ${id(table)} (${columns.map(id).join(', ')}) VALUES ${part.map(() => rowSql).join(', ')} ON DUPLICATE KEY UPDATE ${updates}`;
        await db.raw(
          sql,
          part.flatMap((row) => columns.map((c) => row[c] as Knex.Value)),
        );
      }
    }
  }
}
