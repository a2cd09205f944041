import { createOffsetsTable, positionColumnType } from '../../../cdc/consumer/index.ts';
import type { ServiceMigration } from '../../service-kit/store.ts';

/**
 * The catalog's read model: one denormalised row per product with its stock. Product columns
 * and the stock column are written by different topics, so each has its own source position
 * (product_pos, inventory_pos): an inventory event may arrive before its product's. No unique
 * index on sku: the source enforces it, and a read model must accept transient states.
 */
export const catalogMigrations: readonly ServiceMigration[] = [
  {
    name: '20261122100001-create-catalog-read-model',
    async up(knex) {
      await knex.schema.createTable('catalog_products', (t) => {
        t.charset('utf8mb4');
        t.collate('utf8mb4_unicode_ci');
        t.integer('id').unsigned().primary();
        t.string('sku', 64).nullable();
        t.string('name', 255).nullable();
        t.text('description').nullable();
        t.decimal('price', 10, 2).nullable();
        t.string('category', 64).nullable();
        t.text('attributes', 'longtext').nullable();
        t.datetime('created_at', { precision: 3 }).nullable();
        t.datetime('updated_at', { precision: 3 }).nullable();
        t.boolean('product_exists').notNullable().defaultTo(false);
        t.specificType('product_pos', positionColumnType);
        t.integer('stock').nullable();
        t.specificType('inventory_pos', positionColumnType);
        t.index(['product_exists', 'name']);
        t.index(['product_exists', 'price']);
        t.index(['product_exists', 'created_at']);
        t.index(['product_exists', 'category']);
      });
      await createOffsetsTable(knex);
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('catalog_products');
      await knex.schema.dropTableIfExists('cdc_offsets');
    },
  },
];

export const catalogTables = ['catalog_products'];
