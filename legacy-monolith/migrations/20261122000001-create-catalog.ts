import type { Knex } from 'knex';

/** products + inventory: the catalog half of the shop. Stock lives apart from the product so
 * that an order locks only the stock rows it decrements. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('products', (t) => {
    t.charset('utf8mb4');
    t.collate('utf8mb4_unicode_ci');
    t.increments('id').unsigned().primary();
    t.string('sku', 64).notNullable().unique('products_sku_unique');
    t.string('name', 255).notNullable();
    t.text('description').nullable();
    t.decimal('price', 10, 2).notNullable();
    t.string('category', 64).notNullable();
    t.json('attributes').nullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.specificType('updated_at', 'TIMESTAMP(3)')
      .notNullable()
      .defaultTo(knex.raw('CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)'));
    t.index(['category'], 'products_category_index');
    t.index(['price'], 'products_price_index');
    t.index(['name'], 'products_name_index');
    t.index(['created_at'], 'products_created_at_index');
  });
  await knex.raw('ALTER TABLE products ADD CONSTRAINT products_price_nonnegative CHECK (price >= 0)');

  await knex.schema.createTable('inventory', (t) => {
    t.charset('utf8mb4');
    t.collate('utf8mb4_unicode_ci');
    t.integer('product_id').unsigned().primary();
    t.integer('stock').notNullable();
    t.specificType('updated_at', 'TIMESTAMP(3)')
      .notNullable()
      .defaultTo(knex.raw('CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)'));
    t.foreign('product_id', 'inventory_product_fk').references('products.id');
  });
  // The last line of defence against overselling: the order code checks first and says why.
  await knex.raw('ALTER TABLE inventory ADD CONSTRAINT inventory_stock_nonnegative CHECK (stock >= 0)');
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('inventory');
  await knex.schema.dropTable('products');
}
