import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, errorOf, isoMillis, type MonolithUnderTest, startMonolithProcess } from './support.ts';

describe('users and orders API (monolith process)', () => {
  let shop: MonolithUnderTest;
  let userId: number;
  let mug: number;
  let pen: number;
  const post = (path: string, body?: unknown) => call(shop.base, 'POST', path, body);
  const get = (path: string) => call(shop.base, 'GET', path);
  const stockOf = async (id: number) => (await get(`/products/${id}`)).body.stock;

  beforeAll(async () => {
    shop = await startMonolithProcess('ord');
    mug = (
      await post('/products', { sku: 'MUG', name: 'Mug ☕', price: '19.99', category: 'home', stock: 10 })
    ).body.id;
    pen = (
      await post('/products', { sku: 'PEN', name: 'Pen', price: '0.10', category: 'office', stock: 100 })
    ).body.id;
  });
  afterAll(() => shop?.stop());

  describe('users', () => {
    it('creates and gets a user', async () => {
      const created = await post('/users', { email: 'Zoë.Müller@example.com', name: 'Zoë Müller 🌸' });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ email: 'Zoë.Müller@example.com', name: 'Zoë Müller 🌸' });
      expect(created.body.createdAt).toMatch(isoMillis);
      userId = created.body.id;
      expect((await get(`/users/${userId}`)).body).toEqual(created.body);
    });

    it('refuses a taken email (case-insensitively) with 409', async () => {
      const dup = await post('/users', { email: 'zoë.müller@EXAMPLE.com', name: 'Other' });
      expect(errorOf(dup)).toMatchObject({ status: 409, code: 'SHOP_ERR_EMAIL_TAKEN' });
    });

    it.each([
      [{ email: 'not-an-email', name: 'x' }, 'email'],
      [{ email: 'a@example.com' }, 'name'],
      [{ email: 'a@example.com', name: 'x'.repeat(201) }, 'name'],
      [{ email: 'a@example.com', name: 'x', admin: true }, 'admin'],
    ])('POST /users %j → 400 naming %s', async (body, field) => {
      const error = errorOf(await post('/users', body));
      expect(error).toMatchObject({ status: 400, code: 'SHOP_ERR_INVALID_BODY' });
      expect(error.message).toContain(field);
    });

    it('answers unknown and malformed user ids', async () => {
      expect(errorOf(await get('/users/999999'))).toMatchObject({
        status: 404,
        code: 'SHOP_ERR_USER_NOT_FOUND',
      });
      expect(errorOf(await get('/users/x1'))).toMatchObject({ status: 400, code: 'SHOP_ERR_INVALID_ID' });
      expect(errorOf(await get('/users/999999/orders'))).toMatchObject({ status: 404 });
      expect(errorOf(await get(`/users/${userId}/orders?pageSize=0`))).toMatchObject({
        status: 400,
        code: 'SHOP_ERR_INVALID_QUERY',
      });
      expect(errorOf(await get(`/users/${userId}/orders?sort=id`)).message).toContain('sort');
    });
  });

  describe('orders', () => {
    let orderId: number;

    it('places an order: prices from the product, exact total, stock decremented', async () => {
      const reply = await post('/orders', {
        userId,
        items: [
          { productId: mug, quantity: 3 },
          { productId: pen, quantity: 3 },
        ],
      });
      expect(reply.status).toBe(201);
      // 3 × 19.99 + 3 × 0.10 = 60.27 (floats would give 60.269999…)
      expect(reply.body).toMatchObject({
        userId,
        status: 'pending',
        total: '60.27',
        currency: 'EUR',
        payment: null,
        items: [
          {
            lineNo: 1,
            productId: mug,
            productName: 'Mug ☕',
            quantity: 3,
            unitPrice: '19.99',
            lineTotal: '59.97',
          },
          {
            lineNo: 2,
            productId: pen,
            productName: 'Pen',
            quantity: 3,
            unitPrice: '0.10',
            lineTotal: '0.30',
          },
        ],
      });
      expect(reply.body.createdAt).toMatch(isoMillis);
      orderId = reply.body.id;
      expect(await stockOf(mug)).toBe(7);
      expect(await stockOf(pen)).toBe(97);
      expect((await get(`/orders/${orderId}`)).body).toEqual(reply.body);
    });

    it('keeps the price paid when the product price changes later, but shows the current name', async () => {
      await call(shop.base, 'PATCH', `/products/${pen}`, { price: '0.15', name: 'Pen (blue)' });
      const order = (await get(`/orders/${orderId}`)).body;
      expect(order.items[1]).toMatchObject({ unitPrice: '0.10', productName: 'Pen (blue)' });
      const next = await post('/orders', { userId, items: [{ productId: pen, quantity: 2 }] });
      expect(next.body).toMatchObject({ total: '0.30', items: [{ unitPrice: '0.15' }] });
    });

    it('refuses to oversell with 409 and changes nothing', async () => {
      const before = await shop.knex('orders').count({ n: '*' });
      const reply = await post('/orders', {
        userId,
        items: [
          { productId: pen, quantity: 1 },
          { productId: mug, quantity: 8 },
        ],
      });
      const error = errorOf(reply);
      expect(error).toMatchObject({ status: 409, code: 'SHOP_ERR_INSUFFICIENT_STOCK' });
      expect(error.message).toContain(`product ${mug} has 7`);
      expect(await stockOf(pen)).toBe(95);
      expect(await shop.knex('orders').count({ n: '*' })).toEqual(before);
    });

    it.each([
      [{ items: [{ productId: 1, quantity: 1 }] }, 'userId'],
      [{ userId: 1, items: [] }, 'items'],
      [{ userId: 1, items: [{ productId: 1, quantity: 0 }] }, 'items[0].quantity'],
      [{ userId: 1, items: [{ productId: 1, quantity: 2.5 }] }, 'items[0].quantity'],
      [{ userId: 1, items: [{ productId: 'one', quantity: 1 }] }, 'items[0].productId'],
      [
        {
          userId: 1,
          items: [
            { productId: 1, quantity: 1 },
            { productId: 1, quantity: 2 },
          ],
        },
        'items[1].productId',
      ],
      [{ userId: 1, items: [{ productId: 1, quantity: 1, price: '0.01' }] }, 'price'],
      [{ userId: '1', items: [{ productId: 1, quantity: 1 }] }, 'userId'],
    ])('POST /orders %j → 400 naming %s', async (body, field) => {
      const error = errorOf(await post('/orders', body));
      expect(error).toMatchObject({ status: 400, code: 'SHOP_ERR_INVALID_BODY' });
      expect(error.message).toContain(field);
    });

    it('answers unknown users and products with 404', async () => {
      expect(
        errorOf(await post('/orders', { userId: 424242, items: [{ productId: mug, quantity: 1 }] })),
      ).toMatchObject({
        status: 404,
        code: 'SHOP_ERR_USER_NOT_FOUND',
      });
      const missing = await post('/orders', { userId, items: [{ productId: 424242, quantity: 1 }] });
      expect(errorOf(missing)).toMatchObject({ status: 404, code: 'SHOP_ERR_PRODUCT_NOT_FOUND' });
    });

    it('pays a pending order once: payment = total, then 409', async () => {
      const paid = await post(`/orders/${orderId}/pay`, { method: 'paypal' });
      expect(paid.status).toBe(200);
      expect(paid.body).toMatchObject({
        status: 'paid',
        payment: { amount: '60.27', method: 'paypal', status: 'captured' },
      });
      expect(paid.body.payment.createdAt).toMatch(isoMillis);
      const again = errorOf(await post(`/orders/${orderId}/pay`, { method: 'card' }));
      expect(again).toMatchObject({ status: 409, code: 'SHOP_ERR_ORDER_STATE' });
      expect(again.message).toContain('is paid');
    });

    it('validates pay requests', async () => {
      expect(errorOf(await post(`/orders/${orderId}/pay`, { method: 'cash' })).message).toContain('method');
      expect(errorOf(await post(`/orders/${orderId}/pay`))).toMatchObject({ status: 400 });
      expect(errorOf(await post('/orders/424242/pay', { method: 'card' }))).toMatchObject({
        status: 404,
        code: 'SHOP_ERR_ORDER_NOT_FOUND',
      });
      expect(errorOf(await post('/orders/zero/pay', { method: 'card' }))).toMatchObject({ status: 400 });
    });

    it('cancels a paid order: stock back, payment refunded; a second cancel is 409', async () => {
      const cancelled = await post(`/orders/${orderId}/cancel`);
      expect(cancelled.body).toMatchObject({
        status: 'cancelled',
        payment: { status: 'refunded', amount: '60.27' },
      });
      expect(await stockOf(mug)).toBe(10);
      expect(await stockOf(pen)).toBe(98);
      expect(errorOf(await post(`/orders/${orderId}/cancel`))).toMatchObject({
        status: 409,
        code: 'SHOP_ERR_ORDER_STATE',
      });
      expect(errorOf(await post(`/orders/${orderId}/pay`, { method: 'card' }))).toMatchObject({
        status: 409,
      });
    });

    it('cancels a pending order (empty JSON body allowed, options refused)', async () => {
      const placed = (await post('/orders', { userId, items: [{ productId: mug, quantity: 4 }] })).body;
      expect(await stockOf(mug)).toBe(6);
      expect(errorOf(await post(`/orders/${placed.id}/cancel`, { reason: 'x' })).message).toContain('reason');
      const cancelled = await post(`/orders/${placed.id}/cancel`, {});
      expect(cancelled.body).toMatchObject({ status: 'cancelled', payment: null });
      expect(await stockOf(mug)).toBe(10);
      expect(errorOf(await post('/orders/424242/cancel'))).toMatchObject({ status: 404 });
    });

    it('lists a user’s orders newest first with product names, paged', async () => {
      const other = (await post('/users', { email: 'other@example.com', name: 'Other' })).body.id;
      await post('/orders', { userId: other, items: [{ productId: pen, quantity: 1 }] });
      const all = await get(`/users/${userId}/orders`);
      expect(all.body).toMatchObject({ page: 1, pageSize: 20, total: 3 });
      const ids = all.body.items.map((o: { id: number }) => o.id);
      expect(ids).toEqual([...ids].sort((a: number, b: number) => b - a));
      expect(all.body.items.every((o: { userId: number }) => o.userId === userId)).toBe(true);
      expect(all.body.items.at(-1)).toMatchObject({
        id: orderId,
        items: [{ productName: 'Mug ☕' }, { productName: 'Pen (blue)' }],
      });
      const page2 = await get(`/users/${userId}/orders?page=2&pageSize=2`);
      expect(page2.body.items.map((o: { id: number }) => o.id)).toEqual([orderId]);
      const fresh = (await post('/users', { email: 'new@example.com', name: 'New' })).body.id;
      expect((await get(`/users/${fresh}/orders`)).body).toEqual({
        items: [],
        page: 1,
        pageSize: 20,
        total: 0,
      });
    });

    it('never answered with a 500', () => {
      expect(shop.proc.output()).not.toContain('unexpected error');
    });
  });
});
