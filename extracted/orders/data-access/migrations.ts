import type { Knex } from 'knex';
import { createOffsetsTable, positionColumnType } from '../../../cdc/consumer/index.ts';
import type { ServiceMigration } from '../../service-kit/store.ts';

/**
 * The orders read model (CQRS): orders, lines, payments, plus the two facts it needs from
 * other aggregates — product names and which users exist — taken from their change events.
 * Every row keeps the source position that wrote it and a `deleted` flag (a delete must stay
 * as a marker, or a late older event would bring the row back).
 */
function common(t: Knex.CreateTableBuilder) {
  t.charset('utf8mb4');
  t.collate('utf8mb4_unicode_ci');
  t.boolean('deleted').notNullable().defaultTo(false);
  t.specificType('src_pos', positionColumnType);
}

export const ordersMigrations: readonly ServiceMigration[] = [
  {
    name: '20261122200001-create-orders-read-model',
    async up(knex) {
      await knex.schema.createTable('ord_orders', (t) => {
        t.bigInteger('id').unsigned().primary();
        t.bigInteger('user_id').unsigned().nullable();
        t.string('status', 16).nullable();
        t.decimal('total', 12, 2).nullable();
        t.string('currency', 3).nullable();
        t.datetime('created_at', { precision: 3 }).nullable();
        t.datetime('updated_at', { precision: 3 }).nullable();
        common(t);
        t.index(['user_id', 'deleted', 'created_at', 'id']);
      });
      await knex.schema.createTable('ord_items', (t) => {
        t.bigInteger('order_id').unsigned();
        t.integer('line_no').unsigned();
        t.integer('product_id').unsigned().nullable();
        t.integer('quantity').nullable();
        t.decimal('unit_price', 10, 2).nullable();
        common(t);
        t.primary(['order_id', 'line_no']);
      });
      await knex.schema.createTable('ord_payments', (t) => {
        t.bigInteger('id').unsigned().primary();
        t.bigInteger('order_id').unsigned().nullable();
        t.decimal('amount', 12, 2).nullable();
        t.string('method', 16).nullable();
        t.string('status', 16).nullable();
        t.datetime('created_at', { precision: 3 }).nullable();
        common(t);
        t.index(['order_id']);
      });
      await knex.schema.createTable('ord_products', (t) => {
        t.integer('id').unsigned().primary();
        t.string('name', 255).nullable();
        common(t);
      });
      await knex.schema.createTable('ord_users', (t) => {
        t.bigInteger('id').unsigned().primary();
        common(t);
      });
      await createOffsetsTable(knex);
    },
    async down(knex) {
      for (const table of [...ordersTables, 'cdc_offsets']) await knex.schema.dropTableIfExists(table);
    },
  },
];

export const ordersTables = ['ord_orders', 'ord_items', 'ord_payments', 'ord_products', 'ord_users'];
