import { sameShape, type TableComparison } from './table-checksum.ts';

/**
 * Which legacy tables each migrated route's service copies, and how to compare them. Keep in
 * step with the services' migrations (extracted/<name>/data-access); a rehearsal of a route
 * not listed here skips nothing silently: stage 2 fails with "no store mapping".
 */
export interface StoreMapping {
  /** Env name of the service's database (on MYSQL_URL's server) and its default. */
  databaseEnv: string;
  defaultDatabase: string;
  tables: TableComparison[];
}

export const storeMappings: Record<string, StoreMapping> = {
  // extracted/catalog/data-access/migrations.ts: one row per product, stock folded in
  products: {
    databaseEnv: 'CATALOG_DB',
    defaultDatabase: 'catalog',
    tables: [
      sameShape(
        'products',
        'products',
        'catalog_products',
        ['id'],
        ['sku', 'name', 'description', 'price', 'category', 'attributes', 'created_at', 'updated_at'],
        { where: 'product_exists = 1' },
      ),
      sameShape('inventory', 'inventory', 'catalog_products', ['product_id'], ['stock'], {
        key: ['id'],
        where: 'stock IS NOT NULL',
      }),
    ],
  },
  // extracted/orders/data-access/migrations.ts: soft-deleted rows are not part of the model
  orders: {
    databaseEnv: 'ORDERS_DB',
    defaultDatabase: 'orders_read',
    tables: [
      sameShape(
        'orders',
        'orders',
        'ord_orders',
        ['id'],
        ['user_id', 'status', 'total', 'currency', 'created_at', 'updated_at'],
        {
          where: 'deleted = 0',
        },
      ),
      sameShape(
        'order_items',
        'order_items',
        'ord_items',
        ['order_id', 'line_no'],
        ['product_id', 'quantity', 'unit_price'],
        {
          where: 'deleted = 0',
        },
      ),
      sameShape(
        'payments',
        'payments',
        'ord_payments',
        ['id'],
        ['order_id', 'amount', 'method', 'status', 'created_at'],
        {
          where: 'deleted = 0',
        },
      ),
    ],
  },
};
