import { Router } from 'express';
import type { Knex } from 'knex';
import { parseId, parseProductListQuery } from '../../../contract/index.ts';
import { getProduct, listProducts } from '../domain/products.ts';

/** The migrated `products` routes, parsed with the shop contract's own schemas so 400s match. */
export function productRoutes(knex: Knex): Router {
  const router = Router();
  router.get('/products', async (req, res) => {
    res.json(await listProducts(knex, parseProductListQuery(req.query)));
  });
  router.get('/products/:id', async (req, res) => {
    res.json(await getProduct(knex, parseId(req.params.id, 'product')));
  });
  return router;
}
