import { Router } from 'express';
import type { Knex } from 'knex';
import { productListQuery } from '../../../legacy-monolith/http/schemas.ts';
import { parseId, parseQuery } from '../../../legacy-monolith/http/validate.ts';
import { getProduct, listProducts } from '../domain/products.ts';

/** The migrated `products` routes, parsed with the shop contract's own schemas so 400s match. */
export function productRoutes(knex: Knex): Router {
  const router = Router();
  router.get('/products', async (req, res) => {
    const { minPrice, maxPrice, ...query } = parseQuery(productListQuery, req.query);
    res.json(await listProducts(knex, { ...query, minPriceCents: minPrice, maxPriceCents: maxPrice }));
  });
  router.get('/products/:id', async (req, res) => {
    res.json(await getProduct(knex, parseId(req.params.id, 'product')));
  });
  return router;
}
