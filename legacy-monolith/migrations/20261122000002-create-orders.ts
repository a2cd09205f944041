import type { Knex } from 'knex';

/** users, orders, order_items (composite key), payments: the ordering half of the shop. */
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('users', (t) => {
    t.charset('utf8mb4');
    t.collate('utf8mb4_unicode_ci');
    t.bigIncrements('id').unsigned().primary();
    t.string('email', 255).notNullable().unique('users_email_unique');
    t.string('name', 200).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
  });

  await knex.schema.createTable('orders', (t) => {
    t.charset('utf8mb4');
    t.collate('utf8mb4_unicode_ci');
    t.bigIncrements('id').unsigned().primary();
    t.bigInteger('user_id').unsigned().notNullable();
    t.enu('status', ['pending', 'paid', 'cancelled']).notNullable();
    t.decimal('total', 12, 2).notNullable();
    t.specificType('currency', 'CHAR(3)').notNullable().defaultTo('EUR');
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.specificType('updated_at', 'TIMESTAMP(3)')
      .notNullable()
      .defaultTo(knex.raw('CURRENT_TIMESTAMP(3) ON UPDATE CURRENT_TIMESTAMP(3)'));
    t.foreign('user_id', 'orders_user_fk').references('users.id');
    // A user's order history, newest first, is the monolith's main join (GET /users/:id/orders).
    t.index(['user_id', 'created_at'], 'orders_user_created_index');
    t.index(['status'], 'orders_status_index');
  });

  await knex.schema.createTable('order_items', (t) => {
    t.charset('utf8mb4');
    t.collate('utf8mb4_unicode_ci');
    t.bigInteger('order_id').unsigned().notNullable();
    t.specificType('line_no', 'SMALLINT UNSIGNED').notNullable();
    t.integer('product_id').unsigned().notNullable();
    t.integer('quantity').notNullable();
    t.decimal('unit_price', 10, 2).notNullable();
    t.primary(['order_id', 'line_no']);
    t.foreign('order_id', 'order_items_order_fk').references('orders.id');
    t.foreign('product_id', 'order_items_product_fk').references('products.id');
    t.index(['product_id'], 'order_items_product_index');
  });
  await knex.raw('ALTER TABLE order_items ADD CONSTRAINT order_items_quantity_positive CHECK (quantity > 0)');

  await knex.schema.createTable('payments', (t) => {
    t.charset('utf8mb4');
    t.collate('utf8mb4_unicode_ci');
    t.bigIncrements('id').unsigned().primary();
    t.bigInteger('order_id').unsigned().notNullable().unique('payments_order_unique');
    t.decimal('amount', 12, 2).notNullable();
    t.enu('method', ['card', 'paypal', 'bank_transfer']).notNullable();
    t.enu('status', ['captured', 'refunded']).notNullable();
    t.datetime('created_at', { precision: 3 }).notNullable().defaultTo(knex.fn.now(3));
    t.foreign('order_id', 'payments_order_fk').references('orders.id');
  });
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('payments');
  await knex.schema.dropTable('order_items');
  await knex.schema.dropTable('orders');
  await knex.schema.dropTable('users');
}
