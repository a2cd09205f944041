import { describe, expect, it } from 'vitest';
import { columnPolicy } from './column-policy.ts';
import type { ColumnDef, TableDef } from './encoding/types.ts';

const col = (name: string, dataType: string): ColumnDef => ({
  name,
  dataType,
  unsigned: false,
  nullable: true,
});
const def = (columns: ColumnDef[], keyColumns = ['id']): TableDef => ({
  db: 'shop',
  table: 'products',
  columns,
  keyColumns,
});
const logger = () => {
  const lines: string[] = [];
  return { lines, warn: (_o: unknown, msg?: string) => void lines.push(String(msg)) };
};
const policy = (over: Partial<Parameters<typeof columnPolicy>[0]>, log = logger()) =>
  columnPolicy({ 'column.exclude.list': [], unsupportedColumns: 'fail', unsupportedTypes: [], ...over }, log);

describe('column policy', () => {
  const products = def([col('id', 'int'), col('name', 'varchar'), col('emb', 'vector'), col('loc', 'point')]);

  it('fail: a type without a mapping (VECTOR) throws CONNECTOR_ERR_UNSUPPORTED_COLUMN naming table, column, type', () => {
    let err: unknown;
    try {
      policy({}).valueColumns(products);
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'CONNECTOR_ERR_UNSUPPORTED_COLUMN',
      context: { table: 'shop.products', column: 'emb', type: 'vector' },
    });
    expect((err as Error).message).toMatch(
      /column shop\.products\.emb has type vector, which this connector does not encode/,
    );
  });

  it('skip: drops it (and declared types) with one warning per table definition', () => {
    const log = logger();
    const p = policy({ unsupportedColumns: 'skip', unsupportedTypes: ['point'] }, log);
    const keep = p.valueColumns(products)!;
    expect(products.columns.filter(keep).map((c) => c.name)).toEqual(['id', 'name']);
    p.valueColumns(products);
    expect(log.lines).toEqual([
      'CONNECTOR_UNSUPPORTED_COLUMNS=skip: emb (vector), loc (point) of shop.products left out of its events',
    ]);
    p.valueColumns(def([...products.columns, col('extra', 'int')]));
    expect(log.lines.length).toBe(2);
  });

  it('column.exclude.list: whole-name regular expressions over db.table.column; nothing else dropped', () => {
    const p = policy({ 'column.exclude.list': ['shop\\.products\\.(emb|loc)'] });
    expect(products.columns.filter(p.valueColumns(products)!).map((c) => c.name)).toEqual(['id', 'name']);
    expect(
      policy({ 'column.exclude.list': ['products\\.emb'] }).valueColumns(def([col('id', 'int')])),
    ).toBeUndefined();
  });

  it('a key column cannot be skipped: it halts whatever the policy', () => {
    expect(() => policy({ unsupportedColumns: 'skip' }).valueColumns(def([col('id', 'vector')]))).toThrow(
      /part of the key/,
    );
  });
});
