import { Router } from 'express';
import type { Knex } from 'knex';
import {
  parseBody,
  parseId,
  parseNewProduct,
  parseProductChanges,
  parseProductListQuery,
} from '../../../contract/index.ts';
import { createProduct, getProduct, listProducts, setStock, updateProduct } from '../../domain/products.ts';
import { stockBody } from '../schemas.ts';

export function productRoutes(knex: Knex): Router {
  const router = Router();

  router.get('/products', async (req, res) => {
    res.json(await listProducts(knex, parseProductListQuery(req.query)));
  });

  router.get('/products/:id', async (req, res) => {
    res.json(await getProduct(knex, parseId(req.params.id, 'product')));
  });

  router.post('/products', async (req, res) => {
    res.status(201).json(await createProduct(knex, parseNewProduct(req.body)));
  });

  router.patch('/products/:id', async (req, res) => {
    const id = parseId(req.params.id, 'product');
    res.json(await updateProduct(knex, id, parseProductChanges(req.body)));
  });

  router.put('/products/:id/stock', async (req, res) => {
    const id = parseId(req.params.id, 'product');
    const { stock } = parseBody(stockBody, req.body);
    res.json(await setStock(knex, id, stock));
  });

  return router;
}
