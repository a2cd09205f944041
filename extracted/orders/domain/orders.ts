import type { Knex } from 'knex';
import { notFound, type Order, shapeOrders } from '../../../contract/index.ts';
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
  return shapeOrders(orderRows, itemRows, paymentRows);
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
