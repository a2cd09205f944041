import { loadServiceConfig, type ServiceDefinition } from '../service-kit/run-service.ts';
import type { ServiceConfig } from '../service-kit/service-config.ts';
import { ordersMigrations, ordersTables } from './data-access/migrations.ts';
import { orderRoutes } from './entry-points/order-routes.ts';
import { ordersProjection } from './entry-points/orders-projection.ts';

/**
 * The orders service: env ORDERS_PORT (3102), ORDERS_HOST, ORDERS_DB (orders_read),
 * KAFKA_BROKERS, CDC_TOPIC_PREFIX (legacy), SHOP_DB (shop), ORDERS_GROUP_ID,
 * ORDERS_DLQ_SUFFIX (.dlq), ORDERS_DB_POOL_MAX, MYSQL_URL.
 */
export const ordersService: ServiceDefinition = {
  name: 'orders',
  envPrefix: 'ORDERS',
  defaults: { port: 3102, database: 'orders_read' },
  migrations: ordersMigrations,
  tables: ordersTables,
  projection: ordersProjection,
  routes: orderRoutes,
};

export const loadOrdersConfig = (overrides: Partial<ServiceConfig> = {}) =>
  loadServiceConfig(ordersService, overrides);
