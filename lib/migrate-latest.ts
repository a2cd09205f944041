import type { Knex } from 'knex';

/** How long a start waits for another process's migration run before it gives up. */
const defaultWaitS = 120;

/**
 * `knex.migrate.latest` for processes that may be killed at any moment. knex guards a run with a
 * row in `<tableName>_lock` that only the run itself clears, so a process killed in the middle
 * (a SIGKILL, a crash, Ctrl-C during `npm start`'s first seed) leaves it set and every later
 * start fails with "Migration table is already locked" until someone unlocks it by hand.
 *
 * Here the run happens under a MariaDB/MySQL named lock (GET_LOCK) on a connection of its own,
 * which the server frees as soon as that connection ends, however its process ended. Whoever
 * holds it is the only process migrating this table in this database, so a knex lock row it
 * finds set belongs to a run that died, and is freed first (knex's `forceFreeMigrationsLock`).
 * The knex instance needs a pool of at least two connections: one holds the named lock while
 * the migrations run on another. Returns the names of the migrations it applied.
 */
export async function migrateLatest(
  knex: Knex,
  config: Knex.MigratorConfig & { tableName: string },
  waitS = defaultWaitS,
): Promise<string[]> {
  // One transaction pins one connection for the named lock's life; it runs no statement of its own.
  return knex.transaction(async (holder) => {
    const name = `migrate:${config.tableName}`;
    // Named locks are server-wide: the database's name is part of the key, hashed to fit 64 chars.
    const lockName = "CONCAT('strangler-', SHA1(CONCAT(DATABASE(), '.', ?)))";
    const [rows] = (await holder.raw(`SELECT GET_LOCK(${lockName}, ?) AS got`, [name, waitS])) as [
      Array<{ got: number | null }>,
    ];
    if (rows[0]?.got !== 1)
      throw new Error(
        `another process has been migrating ${config.tableName} for ${waitS} s (or GET_LOCK failed); try again once it is done`,
      );
    try {
      await knex.migrate.forceFreeMigrationsLock(config);
      const [, applied] = (await knex.migrate.latest(config)) as [number, string[]];
      return applied;
    } finally {
      await holder.raw(`SELECT RELEASE_LOCK(${lockName})`, [name]);
    }
  });
}
