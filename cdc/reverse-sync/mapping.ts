import type { ChangeEvent, DecodeOptions, SourceTable } from '../consumer/index.ts';

/**
 * What a service tells the reverse applier about its store: the store tables whose changes go
 * back, and how one change becomes legacy rows. The service owns both directions of its
 * mapping (the catalog's lives beside its forward projection); the applier owns the rest:
 * positions, newer-wins, the origin tag, enable/disable, status.
 */
export interface ReverseMapping {
  /** The service (`catalog`). */
  service: string;
  /** The proxy route whose writes moved (`products`). */
  route: string;
  /** Store tables captured by the store's connector, with what each event must carry. */
  storeTables: Record<string, Omit<SourceTable, 'db'>>;
  /**
   * Legacy tables it writes, parents first: upserts go in this order and deletes in the reverse,
   * so a row is never written before the row its foreign key names.
   */
  legacyTables: readonly string[];
  /** Key columns of each legacy table. */
  legacyKeys: Record<string, readonly string[]>;
  decode?: DecodeOptions;
  /**
   * The legacy writes one store change means; [] when it changes nothing legacy keeps (e.g. only
   * bookkeeping columns). Throw ReverseSyncError REVERSE_ERR_UNMAPPABLE_ROW for a row that
   * cannot be mapped. Upserts carry whole legacy rows, so the newest write of a row wins alone.
   */
  map(event: ChangeEvent): LegacyWrite[];
}

export type LegacyWrite = (
  | { table: string; op: 'upsert'; row: Record<string, unknown> }
  | { table: string; op: 'delete'; key: Record<string, unknown> }
) & {
  /**
   * The legacy table whose enablement decides this write; default: its own table. For a row
   * that is part of another table's write, such as a new product's first stock row: it goes
   * back with the product while the product's table is moved and its own is not (no other
   * writer can have written a row that did not exist yet).
   */
  under?: string;
};
