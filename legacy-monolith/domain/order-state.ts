import type { Knex } from 'knex';
import {
  notFound,
  type Order,
  type OrderStatus,
  type PaymentMethod,
  ShopError,
  writeTransaction,
} from '../../contract/index.ts';
import { getOrder } from './order-reads.ts';

/**
 * The order state machine:
 *   pending ──pay──> paid
 *   pending ──cancel──> cancelled (stock back)
 *   paid ──cancel──> cancelled (stock back, payment refunded)
 * cancelled is final. Any other move is a 409 naming the current state.
 */
const allowed: Record<'pay' | 'cancel', readonly OrderStatus[]> = {
  pay: ['pending'],
  cancel: ['pending', 'paid'],
};

async function lockOrder(trx: Knex.Transaction, id: number, action: 'pay' | 'cancel') {
  const order = await trx('orders').where({ id }).forUpdate().first('id', 'status', 'total');
  if (!order) throw notFound('order', id);
  const status = order.status as OrderStatus;
  if (!allowed[action].includes(status)) {
    throw new ShopError(
      'SHOP_ERR_ORDER_STATE',
      `order ${id} is ${status}; only ${allowed[action].join(' or ')} orders can be ${action === 'pay' ? 'paid' : 'cancelled'}`,
      { context: { id, status, action } },
    );
  }
  return { status, total: String(order.total) };
}

/** Captures a payment for the full total and marks the order paid. */
export function payOrder(knex: Knex, id: number, method: PaymentMethod): Promise<Order> {
  return writeTransaction(knex, async (trx) => {
    const order = await lockOrder(trx, id, 'pay');
    await trx('payments').insert({
      order_id: id,
      amount: order.total,
      method,
      status: 'captured',
      created_at: trx.fn.now(3),
    });
    await trx('orders').where({ id }).update({ status: 'paid' });
    return getOrder(trx, id);
  });
}

/** Cancels, puts every line's quantity back in stock (rows locked in product-id order), refunds. */
export function cancelOrder(knex: Knex, id: number): Promise<Order> {
  return writeTransaction(knex, async (trx) => {
    const order = await lockOrder(trx, id, 'cancel');
    const lines = await trx('order_items').where({ order_id: id }).select('product_id', 'quantity');
    const restock = new Map<number, number>();
    for (const line of lines) {
      restock.set(
        Number(line.product_id),
        (restock.get(Number(line.product_id)) ?? 0) + Number(line.quantity),
      );
    }
    for (const productId of [...restock.keys()].sort((a, b) => a - b)) {
      const quantity = restock.get(productId)!;
      await trx('inventory')
        .insert({ product_id: productId, stock: quantity, updated_at: trx.fn.now(3) })
        .onConflict('product_id')
        .merge({ stock: trx.raw('stock + ?', [quantity]) });
    }
    if (order.status === 'paid') {
      await trx('payments').where({ order_id: id }).update({ status: 'refunded' });
    }
    await trx('orders').where({ id }).update({ status: 'cancelled' });
    return getOrder(trx, id);
  });
}
