import type { Knex } from 'knex';
import { upsertNewer } from '../../../cdc/consumer/index.ts';

export type ReadTable = 'ord_orders' | 'ord_items' | 'ord_payments' | 'ord_products' | 'ord_users';

const keys: Record<ReadTable, string[]> = {
  ord_orders: ['id'],
  ord_items: ['order_id', 'line_no'],
  ord_payments: ['id'],
  ord_products: ['id'],
  ord_users: ['id'],
};

export function saveRows(
  trx: Knex.Transaction,
  table: ReadTable,
  rows: Record<string, unknown>[],
): Promise<void> {
  return upsertNewer(trx, table, rows, { keyColumns: keys[table], positionColumn: 'src_pos' });
}

const orderColumns = ['id', 'user_id', 'status', 'total', 'currency', 'created_at', 'updated_at'];

export async function findOrderRow(knex: Knex, id: number) {
  return knex('ord_orders').where({ id, deleted: 0 }).first(orderColumns);
}

export async function userExists(knex: Knex, id: number): Promise<boolean> {
  return Boolean(await knex('ord_users').where({ id, deleted: 0 }).first('id'));
}

/** Newest first, then id descending: the monolith's order. */
export async function findUserOrderPage(knex: Knex, userId: number, page: number, pageSize: number) {
  const base = knex('ord_orders').where({ user_id: userId, deleted: 0 });
  const [count] = await base.clone().count({ n: '*' });
  const rows = await base
    .clone()
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .select(orderColumns);
  return { rows, total: Number(count?.n ?? 0) };
}

/** Lines with the product's current name (inner join, as the monolith joins products). */
export async function findItemRows(knex: Knex, orderIds: number[]) {
  return knex('ord_items as oi')
    .join('ord_products as p', function () {
      this.on('p.id', 'oi.product_id').andOn('p.deleted', knex.raw('0'));
    })
    .whereIn('oi.order_id', orderIds)
    .where('oi.deleted', 0)
    .orderBy([
      { column: 'oi.order_id', order: 'asc' },
      { column: 'oi.line_no', order: 'asc' },
    ])
    .select(
      'oi.order_id',
      'oi.line_no',
      'oi.product_id',
      'p.name as product_name',
      'oi.quantity',
      'oi.unit_price',
      knex.raw('CAST(oi.quantity * oi.unit_price AS DECIMAL(12,2)) AS line_total'),
    );
}

export async function findPaymentRows(knex: Knex, orderIds: number[]) {
  return knex('ord_payments')
    .whereIn('order_id', orderIds)
    .where('deleted', 0)
    .select('id', 'order_id', 'amount', 'method', 'status', 'created_at');
}
