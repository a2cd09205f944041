import {
  type ChangeEvent,
  eventPosition,
  hint,
  type Projection,
  poisonEvent,
  type SourceTable,
} from '../../../cdc/consumer/index.ts';
import { type ServiceConfig, topicFor } from '../../service-kit/service-config.ts';
import { jsonText, sqlTime } from '../../service-kit/store.ts';
import { type ProductRow, type StockRow, saveProducts, saveStock } from '../data-access/product-store.ts';

/** Column types of shop.products / shop.inventory, for connectors that send no schemas. */
const columnHints = {
  products: { price: hint.decimal(2), created_at: hint.timestamp(), updated_at: hint.zonedTimestamp() },
  inventory: { updated_at: hint.zonedTimestamp() },
};

/**
 * What the projection reads from each source table: events that name another table or
 * database, carry another key, or lack these columns (or hold the wrong type) are dead-lettered
 * by the runner before handleBatch sees them.
 */
const sources: Record<'products' | 'inventory', Omit<SourceTable, 'db'>> = {
  products: {
    table: 'products',
    key: ['id'],
    columns: {
      id: 'integer',
      sku: { type: 'string', nullable: false },
      name: { type: 'string', nullable: false },
      description: 'string',
      price: { type: 'decimal', nullable: false },
      category: { type: 'string', nullable: false },
      attributes: 'json',
      created_at: 'time',
      updated_at: 'time',
    },
  },
  inventory: {
    table: 'inventory',
    key: ['product_id'],
    columns: { product_id: 'integer', stock: { type: 'integer', nullable: false }, updated_at: 'time' },
  },
};

function idOf(row: Record<string, unknown>, column: string, event: ChangeEvent): number {
  const id = Number(row[column]);
  if (!Number.isSafeInteger(id) || id <= 0)
    throw poisonEvent(`${event.table} event at ${event.topic}@${event.offset} has no valid ${column}`);
  return id;
}

function productRow(event: ChangeEvent): ProductRow {
  const row = (event.after ?? event.before)!;
  return {
    id: idOf(row, 'id', event),
    sku: row.sku ?? null,
    name: row.name ?? null,
    description: row.description ?? null,
    price: row.price ?? null,
    category: row.category ?? null,
    attributes: jsonText(row.attributes),
    created_at: sqlTime(row.created_at),
    updated_at: sqlTime(row.updated_at),
    product_exists: event.op === 'd' ? 0 : 1,
    product_pos: eventPosition(event),
  };
}

function stockRow(event: ChangeEvent): StockRow {
  const row = (event.after ?? event.before)!;
  const stock = event.op === 'd' ? null : Number(row.stock);
  if (stock !== null && !Number.isSafeInteger(stock))
    throw poisonEvent(`inventory event at ${event.topic}@${event.offset} has stock ${String(row.stock)}`);
  return { id: idOf(row, 'product_id', event), stock, inventory_pos: eventPosition(event) };
}

/** shop.products + shop.inventory → catalog_products, one multi-row upsert per table and batch. */
export function catalogProjection(config: ServiceConfig): Projection {
  const productsTopic = topicFor(config, 'products');
  const inventoryTopic = topicFor(config, 'inventory');
  return {
    name: 'catalog',
    topics: [productsTopic, inventoryTopic],
    sources: {
      [productsTopic]: { ...sources.products, db: config.sourceDatabase },
      [inventoryTopic]: { ...sources.inventory, db: config.sourceDatabase },
    },
    decode: { columnHints },
    async handleBatch(events, trx) {
      const products: ProductRow[] = [];
      const stock: StockRow[] = [];
      for (const event of events) {
        if (event.op === 't') continue; // truncate: Debezium skips it by default; nothing to key on
        if (event.topic === productsTopic) products.push(productRow(event));
        else if (event.topic === inventoryTopic) stock.push(stockRow(event));
      }
      await saveProducts(trx, products);
      await saveStock(trx, stock);
    },
  };
}
