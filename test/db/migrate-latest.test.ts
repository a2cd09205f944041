import type { Knex } from 'knex';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrateRollback, shopMigrations } from '../../legacy-monolith/migrations/index.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { migrateLatest } from '../../lib/migrate-latest.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * Migrations that a kill cannot wedge (lib/migrate-latest.ts), on the real test MariaDB: the
 * knex lock row a killed run leaves behind, the named lock a dead process held, and two
 * processes starting at once.
 */
const config = {
  migrationSource: {
    getMigrations: async () => [...shopMigrations],
    getMigrationName: (m: (typeof shopMigrations)[number]) => m.name,
    getMigration: async (m: (typeof shopMigrations)[number]) => m,
  },
  tableName: 'knex_migrations',
};
const names = shopMigrations.map((m) => m.name);
const lockKey = "CONCAT('strangler-', SHA1(CONCAT(DATABASE(), '.', 'migrate:knex_migrations')))";

describe('migrateLatest', () => {
  let db: TestDatabase;
  let knex: Knex;
  beforeAll(async () => {
    db = await createTestDatabase('miglock');
    knex = createMysqlKnex(db.serverUrl, db.name);
  });
  afterAll(async () => {
    await knex?.destroy();
    await db?.drop();
  });

  it("frees the knex lock a killed run left set, where knex's own latest() refuses", async () => {
    expect(await migrateLatest(knex, config)).toEqual(names);
    await migrateRollback(knex, { all: true });
    // what a run SIGKILLed between taking and freeing knex's lock leaves behind
    await knex('knex_migrations_lock').update({ is_locked: 1 });
    await expect(knex.migrate.latest(config)).rejects.toThrow(/Migration table is already locked/);
    expect(await migrateLatest(knex, config)).toEqual(names);
    expect((await knex('knex_migrations_lock').first()).is_locked).toBe(0);
  });

  it('waits for a live migrating process, and goes on once that process is gone', async () => {
    await migrateRollback(knex, { all: true });
    const other = createMysqlKnex(db.serverUrl, db.name, { min: 0, max: 1 });
    try {
      // another process in the middle of its run: it holds the named lock on its connection
      const held = await other.transaction(async (trx) => {
        const [rows] = (await trx.raw(`SELECT GET_LOCK(${lockKey}, 5) AS got`)) as [{ got: number }[]];
        expect(rows[0]!.got).toBe(1);
        // while it is alive, a start gives up after its wait, saying why
        await expect(migrateLatest(knex, config, 1)).rejects.toThrow(
          /another process has been migrating knex_migrations for 1 s/,
        );
        return trx.raw('SELECT CONNECTION_ID() AS id');
      });
      const [[{ id }]] = held as unknown as [[{ id: number }]];
      // the lock is still held: the transaction returned the connection to the pool, not the lock
      expect((await knex.raw(`SELECT IS_USED_LOCK(${lockKey}) AS owner`))[0][0].owner).toBe(id);
      // the process dies: the server ends its connection and frees the lock with it
      await knex.raw(`KILL ${Number(id)}`);
      expect(await migrateLatest(knex, config, 5)).toEqual(names);
    } finally {
      await other.destroy();
    }
  });

  it('two processes starting at once: one applies the migrations, the other finds them applied', async () => {
    await migrateRollback(knex, { all: true });
    const second = createMysqlKnex(db.serverUrl, db.name, { min: 0, max: 4 });
    try {
      const [a, b] = await Promise.all([migrateLatest(knex, config), migrateLatest(second, config)]);
      expect([...a, ...b].sort()).toEqual(names);
      const applied = await knex('knex_migrations').select('name');
      expect(applied.map((r: { name: string }) => r.name).sort()).toEqual(names);
    } finally {
      await second.destroy();
    }
  });
});
