import { z } from 'zod';
import { isoTime } from './dates.ts';
import { formatMoney } from './money.ts';
import { pageQuery } from './requests.ts';

/**
 * The orders contract: what `GET /orders/:id` and `GET /users/:id/orders` take and answer, the
 * same from the monolith and from the orders service.
 */

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

/** The Order JSON answer. */
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

/** `GET /users/:id/orders?…`: the page. */
export const userOrdersQuery = z.strictObject(pageQuery);

/**
 * Orders from their rows: order rows in the wanted order, item rows (with product_name and
 * line_total) and payment rows for those orders, columns as the shop's tables name them.
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
      unitPrice: formatMoney(row.unit_price),
      lineTotal: formatMoney(row.line_total),
    });
    items.set(Number(row.order_id), list);
  }
  const payments = new Map<number, Payment>();
  for (const row of paymentRows) {
    payments.set(Number(row.order_id), {
      id: Number(row.id),
      amount: formatMoney(row.amount),
      method: row.method as Payment['method'],
      status: row.status as Payment['status'],
      createdAt: isoTime(row.created_at),
    });
  }
  return orderRows.map((row) => ({
    id: Number(row.id),
    userId: Number(row.user_id),
    status: row.status as OrderStatus,
    total: formatMoney(row.total),
    currency: String(row.currency),
    createdAt: isoTime(row.created_at),
    updatedAt: isoTime(row.updated_at),
    items: items.get(Number(row.id)) ?? [],
    payment: payments.get(Number(row.id)) ?? null,
  }));
}
