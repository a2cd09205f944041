import { Router } from 'express';
import type { Knex } from 'knex';
import { parseBody, parseId, parseQuery, userOrdersQuery } from '../../../contract/index.ts';
import { listUserOrders } from '../../domain/order-reads.ts';
import { createUser, getUser } from '../../domain/users.ts';
import { newUserBody } from '../schemas.ts';

export function userRoutes(knex: Knex): Router {
  const router = Router();

  router.post('/users', async (req, res) => {
    res.status(201).json(await createUser(knex, parseBody(newUserBody, req.body)));
  });

  router.get('/users/:id', async (req, res) => {
    res.json(await getUser(knex, parseId(req.params.id, 'user')));
  });

  router.get('/users/:id/orders', async (req, res) => {
    const id = parseId(req.params.id, 'user');
    const { page, pageSize } = parseQuery(userOrdersQuery, req.query);
    res.json(await listUserOrders(knex, id, page, pageSize));
  });

  return router;
}
