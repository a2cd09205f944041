import type { Knex } from 'knex';
import { notFound, type Order, shapeOrders } from '../../contract/index.ts';
import { getUser } from './users.ts';

type Db = Knex | Knex.Transaction;

/**
 * Orders with their lines and payment: three queries for any number of orders (no N+1).
 * productName is the product's current name, joined at read time, as the monolith always did.
 */
async function loadOrders(db: Db, orderRows: Record<string, unknown>[]): Promise<Order[]> {
  if (orderRows.length === 0) return [];
  const ids = orderRows.map((row) => Number(row.id));
  const itemRows = await db('order_items as oi')
    .join('products as p', 'p.id', 'oi.product_id')
    .whereIn('oi.order_id', ids)
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
      // DECIMAL arithmetic in SQL: quantity × unit price, exact to the cent.
      db.raw('CAST(oi.quantity * oi.unit_price AS DECIMAL(12,2)) AS line_total'),
    );
  const paymentRows = await db('payments')
    .whereIn('order_id', ids)
    .select('id', 'order_id', 'amount', 'method', 'status', 'created_at');
  return shapeOrders(orderRows, itemRows, paymentRows);
}

const orderColumns = ['id', 'user_id', 'status', 'total', 'currency', 'created_at', 'updated_at'];

export async function getOrder(db: Db, id: number): Promise<Order> {
  const row = await db('orders').where({ id }).first(orderColumns);
  if (!row) throw notFound('order', id);
  const [order] = await loadOrders(db, [row]);
  return order!;
}

/** A user's orders, newest first (then id descending); 404 when the user does not exist. */
export async function listUserOrders(
  knex: Knex,
  userId: number,
  page: number,
  pageSize: number,
): Promise<{ items: Order[]; page: number; pageSize: number; total: number }> {
  await getUser(knex, userId);
  const [countRow] = await knex('orders').where({ user_id: userId }).count({ n: '*' });
  const rows = await knex('orders')
    .where({ user_id: userId })
    .orderBy([
      { column: 'created_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(pageSize)
    .offset((page - 1) * pageSize)
    .select(orderColumns);
  return { items: await loadOrders(knex, rows), page, pageSize, total: Number(countRow?.n ?? 0) };
}
