import type { Knex } from 'knex';
import type { TableCheck } from '../figures.ts';

/**
 * One comparison of a legacy table with its copy in a service's store. Each side is a SELECT
 * returning `k` (the row's key as text) and `h` (a checksum of the compared columns), so a
 * service whose store is shaped differently (a read model) can still be checked row by row.
 */
export interface TableComparison {
  name: string;
  legacySql: string;
  serviceSql: string;
}

const q = (id: string) => `\`${id.replace(/`/g, '``')}\``;

/**
 * Builds the two SELECTs for a table copied column for column. NULL gets its own marker so
 * (NULL, 'a') and ('a', NULL) differ; CAST AS CHAR gives DECIMAL and DATETIME(3) the same text
 * on both sides (both sessions run in UTC).
 */
export function sameShape(
  name: string,
  legacyTable: string,
  serviceTable: string,
  key: string[],
  columns: (string | { legacy: string; service: string })[],
  /** The service's spelling where it differs: its key columns and a filter (soft-deleted rows). */
  service: { key?: string[]; where?: string } = {},
): TableComparison {
  const side = (
    table: string,
    pick: (c: (typeof columns)[number]) => string,
    key: string[],
    where?: string,
  ) => {
    const exprs = columns.map((c) => `COALESCE(CAST(${pick(c)} AS CHAR), '\\\\N')`).join(', ');
    const k = key.length === 1 ? `CAST(${q(key[0]!)} AS CHAR)` : `CONCAT_WS(':', ${key.map(q).join(', ')})`;
    return `SELECT ${k} AS k, MD5(CONCAT_WS('|', ${exprs})) AS h FROM ${q(table)}${where ? ` WHERE ${where}` : ''}`;
  };
  return {
    name,
    legacySql: side(legacyTable, (c) => (typeof c === 'string' ? q(c) : c.legacy), key),
    serviceSql: side(
      serviceTable,
      (c) => (typeof c === 'string' ? q(c) : c.service),
      service.key ?? key,
      service.where,
    ),
  };
}

async function hashes(db: Knex, sql: string): Promise<Map<string, string>> {
  const [rows] = (await db.raw(sql)) as [{ k: string; h: string }[]];
  return new Map(rows.map((r) => [String(r.k), r.h]));
}

/** Runs one comparison: row counts, keys on one side only, keys whose checksums differ. */
export async function compareTable(legacy: Knex, service: Knex, c: TableComparison): Promise<TableCheck> {
  const [a, b] = await Promise.all([hashes(legacy, c.legacySql), hashes(service, c.serviceSql)]);
  let missing = 0;
  let different = 0;
  const examples: string[] = [];
  for (const [k, h] of a) {
    const other = b.get(k);
    if (other === undefined) {
      missing++;
      if (examples.length < 3) examples.push(`${c.name} ${k}: missing in the service's store`);
    } else if (other !== h) {
      different++;
      if (examples.length < 3) examples.push(`${c.name} ${k}: checksum differs`);
    }
  }
  let extra = 0;
  for (const k of b.keys()) {
    if (!a.has(k)) {
      extra++;
      if (examples.length < 3) examples.push(`${c.name} ${k}: in the service's store but not in legacy`);
    }
  }
  return { table: c.name, legacyRows: a.size, serviceRows: b.size, missing, extra, different, examples };
}
