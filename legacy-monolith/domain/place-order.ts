import type { Knex } from 'knex';
import {
  formatCents,
  maxTotalCents,
  notFound,
  type Order,
  parseCents,
  ShopError,
  writeTransaction,
} from '../../contract/index.ts';
import { getOrder } from './order-reads.ts';

export interface OrderRequest {
  userId: number;
  items: { productId: number; quantity: number }[];
}

/**
 * Places an order in one transaction:
 *  1. read the products' current prices under a shared lock, in product-id order (a concurrent
 *     price change waits);
 *  2. lock the stock rows of every product in the order, in product-id order (two orders for
 *     overlapping products then queue instead of deadlocking);
 *  3. refuse with 409 when any product lacks stock, naming product, wanted and available;
 *  4. write the order (total in integer cents), its lines, and the decremented stock.
 * A deadlock victim is rerun whole (writeTransaction).
 */
export function placeOrder(knex: Knex, request: OrderRequest): Promise<Order> {
  return writeTransaction(knex, (trx) => placeOrderIn(trx, request));
}

async function placeOrderIn(trx: Knex.Transaction, request: OrderRequest): Promise<Order> {
  const user = await trx('users').where({ id: request.userId }).forShare().first('id');
  if (!user) throw notFound('user', request.userId);

  const wanted = new Map<number, number>();
  for (const item of request.items) {
    wanted.set(item.productId, (wanted.get(item.productId) ?? 0) + item.quantity);
  }
  const productIds = [...wanted.keys()].sort((a, b) => a - b);

  // Products before stock, as every write on a product locks them (see writeTransaction).
  const productRows = await trx('products')
    .whereIn('id', productIds)
    .orderBy('id')
    .forShare()
    .select('id', 'price');
  const stockRows = await trx('inventory')
    .whereIn('product_id', productIds)
    .orderBy('product_id')
    .forUpdate()
    .select('product_id', 'stock');

  const stock = new Map(stockRows.map((row) => [Number(row.product_id), Number(row.stock)]));
  const priceCents = new Map(productRows.map((row) => [Number(row.id), parseCents(String(row.price))!]));
  for (const productId of productIds) {
    if (!priceCents.has(productId)) throw notFound('product', productId);
    const available = stock.get(productId) ?? 0;
    const quantity = wanted.get(productId)!;
    if (available < quantity) {
      throw new ShopError(
        'SHOP_ERR_INSUFFICIENT_STOCK',
        `product ${productId} has ${available} in stock; the order asks for ${quantity}`,
        { context: { productId, available, requested: quantity } },
      );
    }
  }

  let totalCents = 0;
  const lines = request.items.map((item, index) => {
    const unit = priceCents.get(item.productId)!;
    totalCents += unit * item.quantity;
    return {
      line_no: index + 1,
      product_id: item.productId,
      quantity: item.quantity,
      unit_price: formatCents(unit),
    };
  });
  if (totalCents > maxTotalCents) {
    throw new ShopError(
      'SHOP_ERR_ORDER_TOO_LARGE',
      `the order total ${formatCents(totalCents)} exceeds the maximum ${formatCents(maxTotalCents)}`,
    );
  }

  const [orderId] = await trx('orders').insert({
    user_id: request.userId,
    status: 'pending',
    total: formatCents(totalCents),
    currency: 'EUR',
    created_at: trx.fn.now(3),
    updated_at: trx.fn.now(3),
  });
  await trx('order_items').insert(lines.map((line) => ({ order_id: orderId, ...line })));
  for (const productId of productIds) {
    await trx('inventory')
      .where({ product_id: productId })
      .update({ stock: trx.raw('stock - ?', [wanted.get(productId)!]) });
  }
  return getOrder(trx, Number(orderId));
}
