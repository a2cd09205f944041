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
  products: {
    databaseEnv: 'CATALOG_DB',
    defaultDatabase: 'catalog',
    tables: [
      sameShape(
        'products',
        'products',
        'products',
        ['id'],
        ['sku', 'name', 'description', 'price', 'category', 'attributes', 'created_at', 'updated_at'],
      ),
      sameShape('inventory', 'inventory', 'inventory', ['product_id'], ['stock', 'updated_at']),
    ],
  },
  orders: {
    databaseEnv: 'ORDERS_DB',
    defaultDatabase: 'orders_read',
    tables: [
      sameShape(
        'orders',
        'orders',
        'orders',
        ['id'],
        ['user_id', 'status', 'total', 'currency', 'created_at', 'updated_at'],
      ),
      sameShape(
        'order_items',
        'order_items',
        'order_items',
        ['order_id', 'line_no'],
        ['product_id', 'quantity', 'unit_price'],
      ),
      sameShape(
        'payments',
        'payments',
        'payments',
        ['id'],
        ['order_id', 'amount', 'method', 'status', 'created_at'],
      ),
    ],
  },
};
