import type { ConnectionOptions, TypeCast } from 'mysql2';
import type { TableDef } from './types.ts';

/**
 * mysql2 options under which every value arrives lossless and in the same shape zongji gives for
 * the binlog (both are handed to the same converters): temporal values as the server's text,
 * BIGINT and DECIMAL as exact strings, JSON as text, text columns decoded as utf8mb4. Spatial
 * values need snapshotQueryOptions too. TIMESTAMP text depends on the *session* time zone, so
 * run snapshotSessionSql too.
 */
export const snapshotConnectionOptions = {
  dateStrings: true,
  supportBigNumbers: true,
  bigNumberStrings: true,
  decimalNumbers: false,
  jsonStrings: true,
  timezone: '+00:00',
  charset: 'UTF8MB4_UNICODE_CI',
} satisfies ConnectionOptions;

/**
 * Spatial values as the server's bytes (4-byte little-endian SRID, then WKB), not mysql2's
 * {x, y} objects: what the binlog carries (see the zongji seam) and what Debezium encodes.
 */
const spatialAsBytes: TypeCast = (field, next) => (field.type === 'GEOMETRY' ? field.buffer() : next());

const spatialTypes =
  /^(geometry|point|linestring|polygon|multipoint|multilinestring|multipolygon|geometrycollection|geomcollection)$/;

/**
 * Per-query mysql2 options for reading `table` in a snapshot: a typeCast that keeps spatial
 * values as bytes, only for a table that has a spatial column (a typeCast is a function call per
 * field of every row, which the other tables need not pay).
 */
export function snapshotQueryOptions(table: TableDef): { typeCast?: TypeCast } {
  return table.columns.some((c) => spatialTypes.test(c.dataType)) ? { typeCast: spatialAsBytes } : {};
}

/** Statements to run on every snapshot connection before reading rows. */
export const snapshotSessionSql = ["SET time_zone = '+00:00'"];

/**
 * The same options for the connection zongji opens (it reads dateStrings/timezone/jsonStrings/
 * decimalNumbers from its own mysql2 config): spread them into the ZongJi constructor's DSN.
 */
export const zongjiConnectionOptions = snapshotConnectionOptions;

/** A MySQL identifier in backquotes. */
export const quoteId = (name: string) => '`' + name.replace(/`/g, '``') + '`';

/**
 * The select list for snapshot reads of `table`. FLOAT columns are read as `CAST(col AS DOUBLE)`:
 * the server prints a FLOAT with 6 significant digits (3.14159), while the binlog carries the
 * exact float32 (3.1415927…); the cast gives the exact value in both paths, so a row encodes the
 * same whether it came from the snapshot or the binlog. The alias keeps the column name.
 */
export function snapshotSelectList(table: TableDef): string {
  return table.columns
    .map((c) =>
      c.dataType === 'float' ? `CAST(${quoteId(c.name)} AS DOUBLE) AS ${quoteId(c.name)}` : quoteId(c.name),
    )
    .join(', ');
}
