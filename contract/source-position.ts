/**
 * The source-position headers. Every answer of an extracted service says which point of the
 * legacy database's history its store reflected when the answer was read; the comparison
 * engine orders that against legacy's own position, so a difference from a store that was
 * behind is re-checked as lag instead of reported as a mismatch. The services write the
 * headers with `sourcePositionHeaders`, the engine reads them with `parseSourcePosition` and
 * `compareSourcePositions`; both sides take the form and the order from here.
 *
 * Accepted forms of a position:
 *   binlog.000003:1234[:row]     binlog file and offset (MySQL, MariaDB): what the services write
 *   0-1-4711[,1-1-12]            MariaDB GTID list (domain-server-sequence)
 * Anything else (`none` included) is "unknown", and a mismatch with an unknown position is never
 * called lag.
 */

export const sourcePositionHeader = 'x-strangler-source-position';
/** Source (database commit) time of the event at that position, epoch ms. */
export const sourceTsHeader = 'x-strangler-source-ts';
/** Either header's value while the store has applied no event yet. */
export const noSourcePosition = 'none';

/**
 * "mysql-bin.000003:2731", ":row" added when the row index is not 0 (the consumer labels every
 * applied event this way and the services answer with the newest label).
 */
export function formatSourcePosition(p: { file: string; pos: number; row: number }): string {
  return p.row ? `${p.file}:${p.pos}:${p.row}` : `${p.file}:${p.pos}`;
}

/** Both headers for the position a store reflects; null (or no label) before it applied any event. */
export function sourcePositionHeaders(
  position: { label: string; sourceTsMs: number | null } | null,
): Record<string, string> {
  return {
    [sourcePositionHeader]: position?.label || noSourcePosition,
    [sourceTsHeader]:
      position === null || position.sourceTsMs === null ? noSourcePosition : String(position.sourceTsMs),
  };
}

export type ParsedSourcePosition =
  | { kind: 'binlog'; file: number; pos: number; row: number }
  | { kind: 'gtid'; domains: Map<number, number> };

/**
 * A binlog file's place in the sequence: the number its name ends with ("mysql-bin.000012" →
 * 12), 0 when it ends with none — the order the consumer's position key sorts files in.
 */
function binlogFileNumber(file: string): number {
  return Number(/(\d+)$/.exec(file)?.[1] ?? 0);
}

const binlogForm = /^([^:]*):(\d+)(?::(\d+))?$/;
const gtidForm = /^(\d+)-(\d+)-(\d+)$/;

export function parseSourcePosition(text: string | undefined): ParsedSourcePosition | undefined {
  if (!text) return undefined;
  const binlog = binlogForm.exec(text.trim());
  if (binlog)
    return {
      kind: 'binlog',
      file: binlogFileNumber(binlog[1]!),
      pos: Number(binlog[2]),
      row: Number(binlog[3] ?? 0),
    };
  const parts = text.split(',').map((p) => gtidForm.exec(p.trim()));
  if (parts.length > 0 && parts.every(Boolean)) {
    return { kind: 'gtid', domains: new Map(parts.map((m) => [Number(m![1]), Number(m![3])])) };
  }
  return undefined;
}

/**
 * Negative when `a` is behind `b`, 0 at the same point, positive ahead; undefined when the two
 * cannot be ordered (a binlog position against a GTID list). Binlog positions order by (file
 * number, pos, row); a GTID list is behind another when any domain of the other is ahead.
 */
export function compareSourcePositions(a: ParsedSourcePosition, b: ParsedSourcePosition): number | undefined {
  if (a.kind === 'binlog' && b.kind === 'binlog') return a.file - b.file || a.pos - b.pos || a.row - b.row;
  if (a.kind === 'gtid' && b.kind === 'gtid') {
    let sign = 0;
    for (const [domain, seq] of b.domains) {
      const mine = a.domains.get(domain) ?? -1;
      if (mine < seq) return -1;
      if (mine > seq) sign = 1;
    }
    return sign;
  }
  return undefined;
}
