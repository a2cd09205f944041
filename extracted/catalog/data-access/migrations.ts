import { createOffsetsTable, positionColumnType } from '../../../cdc/consumer/index.ts';
import type { ServiceMigration } from '../../service-kit/store.ts';

/**
 * Ids the catalog generates itself (`POST /products` once it takes writes) start here, far
 * above legacy's: the store's rows come from legacy with legacy's ids (explicit-id inserts by
 * the projection), so a counter that started at 1 would hand out ids legacy already has or is
 * about to hand out. InnoDB moves AUTO_INCREMENT past every explicit id at or above it, so the
 * counter is never below the largest id in the store either. docs/extracted.md has the rest.
 */
export const catalogIdBase = 2_000_000_000;

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
  {
    name: '20261206100001-catalog-generated-ids',
    async up(knex) {
      // The service takes product writes: it generates ids from catalogIdBase, and finds a sku's
      // holder under a lock (the index makes the lock a gap lock on that sku, not the table).
      await knex.raw(
        `ALTER TABLE catalog_products MODIFY id INT UNSIGNED NOT NULL AUTO_INCREMENT, AUTO_INCREMENT = ${catalogIdBase}, ADD INDEX catalog_products_sku_index (sku)`,
      );
    },
    async down(knex) {
      await knex.raw(
        'ALTER TABLE catalog_products MODIFY id INT UNSIGNED NOT NULL, DROP INDEX catalog_products_sku_index',
      );
    },
  },
  {
    // Moving writes (docs/reverse-sync.md): which legacy tables the service owns, and what the
    // forward projection dropped for them (its own writes echoed back, other writers' changes).
    name: '20261206100002-create-write-ownership',
    async up(knex) {
      await knex.schema.createTable('catalog_write_ownership', (t) => {
        t.string('table_name', 64).primary();
        t.datetime('owned_since', { precision: 3 }).notNullable();
      });
      await knex.schema.createTable('catalog_owned_table_events', (t) => {
        t.string('table_name', 64).primary();
        t.bigInteger('echoes').unsigned().notNullable().defaultTo(0);
        t.bigInteger('second_writer_changes').unsigned().notNullable().defaultTo(0);
        t.datetime('last_at', { precision: 3 }).nullable();
        t.string('last_writer', 255).nullable();
        t.text('last_statement').nullable();
        t.string('last_position', 100).nullable();
      });
    },
    async down(knex) {
      await knex.schema.dropTableIfExists('catalog_owned_table_events');
      await knex.schema.dropTableIfExists('catalog_write_ownership');
    },
  },
];

export const catalogTables = ['catalog_products'];
