import { Router } from 'express';
import { loadServiceConfig, type ServiceDefinition } from '../service-kit/run-service.ts';
import type { ServiceConfig } from '../service-kit/service-config.ts';
import { catalogMigrations, catalogTables } from './data-access/migrations.ts';
import { catalogProjection } from './entry-points/catalog-projection.ts';
import { productRoutes } from './entry-points/product-routes.ts';
import { writeOwnershipRoutes } from './entry-points/write-ownership-routes.ts';

/**
 * The catalog service: env CATALOG_PORT (3101), CATALOG_HOST, CATALOG_DB (catalog),
 * KAFKA_BROKERS, CDC_TOPIC_PREFIX (legacy), SHOP_DB (shop), CATALOG_GROUP_ID,
 * CATALOG_DLQ_SUFFIX (.dlq), CATALOG_DB_POOL_MAX, MYSQL_URL.
 */
export const catalogService: ServiceDefinition = {
  name: 'catalog',
  envPrefix: 'CATALOG',
  defaults: { port: 3101, database: 'catalog' },
  migrations: catalogMigrations,
  tables: catalogTables,
  projection: catalogProjection,
  routes: (knex) => Router().use(productRoutes(knex), writeOwnershipRoutes(knex)),
};

export const loadCatalogConfig = (overrides: Partial<ServiceConfig> = {}) =>
  loadServiceConfig(catalogService, overrides);
