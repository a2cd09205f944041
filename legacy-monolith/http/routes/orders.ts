import { Router } from 'express';
import type { Knex } from 'knex';
import { parseBody, parseId } from '../../../contract/index.ts';
import { getOrder } from '../../domain/order-reads.ts';
import { cancelOrder, payOrder } from '../../domain/order-state.ts';
import { placeOrder } from '../../domain/place-order.ts';
import { cancelBody, orderBody, payBody } from '../schemas.ts';

export function orderRoutes(knex: Knex): Router {
  const router = Router();

  router.post('/orders', async (req, res) => {
    res.status(201).json(await placeOrder(knex, parseBody(orderBody, req.body)));
  });

  router.get('/orders/:id', async (req, res) => {
    res.json(await getOrder(knex, parseId(req.params.id, 'order')));
  });

  router.post('/orders/:id/pay', async (req, res) => {
    const id = parseId(req.params.id, 'order');
    const { method } = parseBody(payBody, req.body);
    res.json(await payOrder(knex, id, method));
  });

  router.post('/orders/:id/cancel', async (req, res) => {
    const id = parseId(req.params.id, 'order');
    // No body, or an empty JSON object: cancel takes no options.
    if (req.body !== undefined) parseBody(cancelBody, req.body);
    res.json(await cancelOrder(knex, id));
  });

  return router;
}
