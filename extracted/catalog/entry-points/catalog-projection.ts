import {
  type ChangeEvent,
  eventPosition,
  hint,
  type Projection,
  poisonEvent,
  type SourceTable,
} from '../../../cdc/consumer/index.ts';
import { formatSourcePosition, parseOriginTag, parseSqlTag, syncOrigins } from '../../../contract/index.ts';
import { type ServiceConfig, topicFor } from '../../service-kit/service-config.ts';
import { jsonText, sqlTime } from '../../service-kit/store.ts';
import { type ProductRow, type StockRow, saveProducts, saveStock } from '../data-access/product-store.ts';
import {
  type OwnedTableEvents,
  ownedTables,
  recordOwnedTableEvents,
} from '../data-access/write-ownership.ts';

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

/** Debezium's `source.snapshot`: anything but `false` (or absent) is a snapshot read, not a write. */
function isSnapshotRead(event: ChangeEvent): boolean {
  const snapshot = event.source?.snapshot;
  return (
    event.op === 'r' ||
    (snapshot !== undefined && snapshot !== null && snapshot !== false && snapshot !== 'false')
  );
}

/**
 * Who wrote a change to a table the catalog owns, when it was not the reverse applier: the
 * monolith's route from its tag, `untagged` for a statement without one, `unknown` without a
 * statement (the connector runs without include.query: nobody can say, so it counts).
 */
function otherWriter(query: string): string {
  if (query === '') return 'unknown';
  return parseSqlTag(query)?.route ?? 'untagged';
}

/**
 * shop.products + shop.inventory → catalog_products, one multi-row upsert per table and batch.
 *
 * Moving writes (docs/reverse-sync.md): a change whose statement carries the reverse applier's
 * origin tag is the catalog's own write coming back from legacy, never news to the store: it is
 * dropped and counted (an echo). While the catalog owns a legacy table (write-ownership.ts),
 * forward apply is off for it: any other change to it is a second writer, counted with its
 * writer and statement (the alarm on GET /writes/ownership and /metrics), and not applied.
 */
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
      const owned = await ownedTables(trx);
      const passed = new Map<string, OwnedTableEvents>();
      const passedOn = (table: string): OwnedTableEvents => {
        const p = passed.get(table) ?? { echoes: 0, secondWriterChanges: 0 };
        passed.set(table, p);
        return p;
      };
      for (const event of events) {
        if (event.op === 't') continue; // truncate: Debezium skips it by default; nothing to key on
        const table = event.topic === productsTopic ? 'products' : 'inventory';
        const query = typeof event.source?.query === 'string' ? event.source.query : '';
        if (parseOriginTag(query) === syncOrigins.reverseSync) {
          passedOn(table).echoes++;
          continue;
        }
        if (owned.has(table)) {
          if (isSnapshotRead(event)) continue; // a re-snapshot is not a write; forward apply is off
          const p = passedOn(table);
          p.secondWriterChanges++;
          const ts = Number(event.source?.ts_ms);
          p.last = {
            atMs: Number.isFinite(ts) && ts > 0 ? ts : Date.now(),
            writer: otherWriter(query),
            statement: query === '' ? null : query,
            position: event.position ? formatSourcePosition(event.position) : null,
          };
          continue;
        }
        if (table === 'products') products.push(productRow(event));
        else stock.push(stockRow(event));
      }
      await saveProducts(trx, products);
      await saveStock(trx, stock);
      await recordOwnedTableEvents(trx, passed);
    },
  };
}
