import type { Knex } from 'knex';
import type { Order, OrderItem, OrderStatus, Payment } from '../../../legacy-monolith/domain/order-reads.ts';
import { isoTime, money } from '../../../legacy-monolith/domain/rows.ts';
import { notFound } from '../../../legacy-monolith/errors.ts';
import {
  findItemRows,
  findOrderRow,
  findPaymentRows,
  findUserOrderPage,
  userExists,
} from '../data-access/order-store.ts';

/** Orders with lines and payment in three queries, shaped exactly as the shop contract's Order. */
async function assemble(knex: Knex, orderRows: Record<string, unknown>[]): Promise<Order[]> {
  if (orderRows.length === 0) return [];
  const ids = orderRows.map((r) => Number(r.id));
  const [itemRows, paymentRows] = await Promise.all([findItemRows(knex, ids), findPaymentRows(knex, ids)]);
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
      method: row.method,
      status: row.status,
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

export async function getOrder(knex: Knex, id: number): Promise<Order> {
  const row = await findOrderRow(knex, id);
  if (!row) throw notFound('order', id);
  const [order] = await assemble(knex, [row]);
  return order!;
}

/** 404 for an unknown user, like the monolith (the users projection knows which ids exist). */
export async function listUserOrders(knex: Knex, userId: number, page: number, pageSize: number) {
  if (!(await userExists(knex, userId))) throw notFound('user', userId);
  const { rows, total } = await findUserOrderPage(knex, userId, page, pageSize);
  return { items: await assemble(knex, rows), page, pageSize, total };
}
