import { SnapshotRecord, SourceField } from '../debezium/envelope.ts';

/**
 * Where in the source database's history an event comes from. Debezium's MySQL/MariaDB source
 * block always carries `file`, `pos` and `row` (required fields), so the order of two events is
 * (numeric suffix of file, pos, row). Snapshot reads (`op: r`) all carry the binlog position
 * read when the snapshot began; they describe the state *at* that position, so they sort before
 * any streamed event at the same coordinates. GTIDs are kept for display, not for ordering
 * (docs/consumer.md says why).
 */
export interface SourcePosition {
  file: string;
  pos: number;
  row: number;
  snapshot: boolean;
  gtid: string | null;
  /** Source (database) time of the change, epoch ms. */
  tsMs: number | null;
}

/** The numeric suffix of a binlog file name (`mariadb-bin.000012` → 12): what orders files. */
export function fileNumber(file: string): number {
  return Number(/(\d+)$/.exec(file)?.[1] ?? '0');
}

function fileSequence(file: string): string {
  const digits = /(\d+)$/.exec(file)?.[1] ?? '0';
  return digits.replace(/^0+(?=\d)/, '').padStart(12, '0');
}

/**
 * A fixed-width string whose byte order is the source order, so SQL can compare positions with
 * `>` on a CHAR column: "000000000003:00000000000000002731:1:0000000000".
 */
export function positionKey(p: SourcePosition): string {
  return [
    fileSequence(p.file),
    String(p.pos).padStart(20, '0'),
    p.snapshot ? '0' : '1',
    String(p.row).padStart(10, '0'),
  ].join(':');
}

const snapshotTrue = new Set<string>(Object.values(SnapshotRecord).filter((v) => v !== SnapshotRecord.FALSE));

/** From a decoded Debezium `source` block; null when it lacks binlog coordinates. */
export function positionFromSource(
  source: Record<string, unknown> | null | undefined,
): SourcePosition | null {
  if (!source) return null;
  const file = source[SourceField.FILE];
  const pos = toNumber(source[SourceField.POSITION]);
  if (typeof file !== 'string' || pos === null) return null;
  const snapshot = source[SourceField.SNAPSHOT];
  const gtid = source[SourceField.GTID];
  return {
    file,
    pos,
    row: toNumber(source[SourceField.ROW]) ?? 0,
    snapshot: snapshot === true || (typeof snapshot === 'string' && snapshotTrue.has(snapshot)),
    gtid: typeof gtid === 'string' ? gtid : null,
    tsMs: toNumber(source[SourceField.TIMESTAMP]),
  };
}

function toNumber(value: unknown): number | null {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return null;
}
