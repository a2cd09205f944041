import { type ChangeEvent, hint, type Row } from '../../../cdc/consumer/index.ts';
import { type LegacyWrite, type ReverseMapping, ReverseSyncError } from '../../../cdc/reverse-sync/index.ts';
import { jsonText, sqlTime } from '../../service-kit/store.ts';

/**
 * The reverse of catalog-projection.ts: one catalog_products row (a product with its stock,
 * denormalised) back into shop.products and shop.inventory, the shape legacy keeps them in.
 * A change writes a legacy table only when the columns that table holds changed: a store write
 * of the stock alone does not rewrite the product, and the reverse. `product_exists` going to 0
 * is the product's delete; `stock` going to NULL is its inventory row's. The store's position
 * columns are the forward projection's bookkeeping and never go back.
 */
const productColumns = [
  'sku',
  'name',
  'description',
  'price',
  'category',
  'attributes',
  'created_at',
  'updated_at',
] as const;

/** Legacy's NOT NULL product columns: a store row without them cannot become a legacy row. */
const requiredProductColumns = ['sku', 'name', 'price', 'category', 'created_at', 'updated_at'] as const;

const exists = (row: Row | null) =>
  row !== null && (row.product_exists === true || Number(row.product_exists) === 1);
const same = (a: unknown, b: unknown) => String(a ?? '\u0000null') === String(b ?? '\u0000null');

function unmappable(event: ChangeEvent, why: string): ReverseSyncError {
  return new ReverseSyncError(
    'REVERSE_ERR_UNMAPPABLE_ROW',
    `catalog_products change at ${event.topic}@${event.offset}: ${why}`,
    { context: { topic: event.topic, partition: event.partition, offset: event.offset } },
  );
}

function idOf(event: ChangeEvent): number {
  const id = Number((event.after ?? event.before)?.id);
  if (!Number.isSafeInteger(id) || id <= 0) throw unmappable(event, 'no valid id');
  return id;
}

function productRow(event: ChangeEvent, id: number, row: Row): Record<string, unknown> {
  const missing = requiredProductColumns.filter((c) => row[c] === null || row[c] === undefined);
  if (missing.length > 0)
    throw unmappable(event, `product ${id} has no ${missing.join(', ')}, which legacy requires`);
  try {
    return {
      id,
      sku: String(row.sku),
      name: String(row.name),
      description: row.description ?? null,
      price: String(row.price),
      category: String(row.category),
      attributes: jsonText(row.attributes),
      created_at: sqlTime(row.created_at),
      updated_at: sqlTime(row.updated_at),
    };
  } catch (err) {
    throw unmappable(event, `product ${id}: ${(err as Error).message}`);
  }
}

function mapChange(event: ChangeEvent): LegacyWrite[] {
  const id = idOf(event);
  const before = event.before;
  const after = event.op === 'd' ? null : event.after;
  const writes: LegacyWrite[] = [];
  if (exists(after)) {
    const changed = !exists(before) || productColumns.some((c) => !same(before![c], after![c]));
    if (changed) writes.push({ table: 'products', op: 'upsert', row: productRow(event, id, after!) });
  } else if (exists(before)) writes.push({ table: 'products', op: 'delete', key: { id } });
  const stockBefore = before?.stock ?? null;
  const stockAfter = after?.stock ?? null;
  if (stockAfter !== null && (before === null || !same(stockBefore, stockAfter))) {
    const stock = Number(stockAfter);
    if (!Number.isSafeInteger(stock))
      throw unmappable(event, `product ${id} has stock ${String(stockAfter)}`);
    // a new product's first stock row is part of its creation, as legacy's POST /products
    // writes both: it goes back with the product even while stock stays with legacy
    const created = exists(after) && !exists(before);
    writes.push({
      table: 'inventory',
      op: 'upsert',
      row: { product_id: id, stock },
      ...(created ? { under: 'products' } : {}),
    });
  } else if (stockAfter === null && stockBefore !== null)
    writes.push({ table: 'inventory', op: 'delete', key: { product_id: id } });
  return writes;
}

export const catalogReverseMapping: ReverseMapping = {
  service: 'catalog',
  route: 'products',
  storeTables: {
    catalog_products: {
      key: ['id'],
      columns: {
        id: 'integer',
        sku: 'string',
        name: 'string',
        description: 'string',
        price: 'decimal',
        category: 'string',
        attributes: 'string',
        created_at: 'time',
        updated_at: 'time',
        product_exists: 'any',
        stock: 'integer',
      },
    },
  },
  legacyTables: ['products', 'inventory'],
  legacyKeys: { products: ['id'], inventory: ['product_id'] },
  // for a store connector that sends no schemas: DATETIME(3) as epoch ms, DECIMAL(10,2)
  decode: {
    columnHints: {
      catalog_products: {
        price: hint.decimal(2),
        created_at: hint.timestamp(),
        updated_at: hint.timestamp(),
      },
    },
  },
  map: mapChange,
};
