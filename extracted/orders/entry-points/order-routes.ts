import { Router } from 'express';
import type { Knex } from 'knex';
import { parseId, parseQuery, userOrdersQuery } from '../../../contract/index.ts';
import { getOrder, listUserOrders } from '../domain/orders.ts';

/** The migrated `orders` routes, with the shop contract's own parsing so 400s match. */
export function orderRoutes(knex: Knex): Router {
  const router = Router();
  router.get('/orders/:id', async (req, res) => {
    res.json(await getOrder(knex, parseId(req.params.id, 'order')));
  });
  router.get('/users/:id/orders', async (req, res) => {
    const id = parseId(req.params.id, 'user');
    const { page, pageSize } = parseQuery(userOrdersQuery, req.query);
    res.json(await listUserOrders(knex, id, page, pageSize));
  });
  return router;
}
