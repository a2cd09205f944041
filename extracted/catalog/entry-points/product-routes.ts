import { Router } from 'express';
import type { Knex } from 'knex';
import {
  isDryRunRequest,
  parseId,
  parseNewProduct,
  parseProductChanges,
  parseProductListQuery,
} from '../../../contract/index.ts';
import { createProduct, getProduct, listProducts, updateProduct } from '../domain/products.ts';

/**
 * The migrated `products` routes, parsed with the shop contract's own schemas so 400s match.
 * The writes answer as legacy's do; a request carrying the proxy's dry-run mark runs the whole
 * write and rolls it back (contract/dry-run.ts, service-kit/dry-run.ts).
 */
export function productRoutes(knex: Knex): Router {
  const router = Router();
  router.get('/products', async (req, res) => {
    res.json(await listProducts(knex, parseProductListQuery(req.query)));
  });
  router.get('/products/:id', async (req, res) => {
    res.json(await getProduct(knex, parseId(req.params.id, 'product')));
  });
  router.post('/products', async (req, res) => {
    res.status(201).json(await createProduct(knex, parseNewProduct(req.body), isDryRunRequest(req.headers)));
  });
  router.patch('/products/:id', async (req, res) => {
    const id = parseId(req.params.id, 'product');
    res.json(await updateProduct(knex, id, parseProductChanges(req.body), isDryRunRequest(req.headers)));
  });
  return router;
}
