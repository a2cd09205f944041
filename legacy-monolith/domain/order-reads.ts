import type { Knex } from 'knex';
import { notFound } from '../errors.ts';
import { isoTime, money } from './rows.ts';
import { getUser } from './users.ts';

export type OrderStatus = 'pending' | 'paid' | 'cancelled';
export type PaymentMethod = 'card' | 'paypal' | 'bank_transfer';

export interface OrderItem {
  lineNo: number;
  productId: number;
  productName: string;
  quantity: number;
  unitPrice: string;
  lineTotal: string;
}

export interface Payment {
  id: number;
  amount: string;
  method: PaymentMethod;
  status: 'captured' | 'refunded';
  createdAt: string;
}

export interface Order {
  id: number;
  userId: number;
  status: OrderStatus;
  total: string;
  currency: string;
  createdAt: string;
  updatedAt: string;
  items: OrderItem[];
  payment: Payment | null;
}

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

/**
 * The shop contract's Order from its rows: order rows in the wanted order, item rows (with
 * product_name and line_total) and payment rows for those orders. Shared with the orders
 * read model, which must answer exactly as the monolith does.
 */
export function shapeOrders(
  orderRows: Record<string, unknown>[],
  itemRows: Record<string, unknown>[],
  paymentRows: Record<string, unknown>[],
): Order[] {
  const items = new Map<number, OrderItem[]>();
  for (const row of itemRows) {
    const list = items.get(Number(row.order_id)) ?? [];
    list.push({
      lineNo: Number(row.line_no),
      productId: Number(row.product_id),
      productName: String(row.product_name),
      quantity: Number(row.quantity),
      unitPrice: money(row.unit_price),
      lineTotal: money(row.line_total),
    });
    items.set(Number(row.order_id), list);
  }
  const payments = new Map<number, Payment>();
  for (const row of paymentRows) {
    payments.set(Number(row.order_id), {
      id: Number(row.id),
      amount: money(row.amount),
      method: row.method as Payment['method'],
      status: row.status as Payment['status'],
      createdAt: isoTime(row.created_at),
    });
  }
  return orderRows.map((row) => ({
    id: Number(row.id),
    userId: Number(row.user_id),
    status: row.status as OrderStatus,
    total: money(row.total),
    currency: String(row.currency),
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
    items: items.get(Number(row.id)) ?? [],
    payment: payments.get(Number(row.id)) ?? null,
  }));
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
