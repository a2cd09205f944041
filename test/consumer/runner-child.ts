import knexFactory, { type Knex } from 'knex';
import { eventPosition, ProjectionRunner, upsertNewer } from '../../cdc/consumer/index.ts';

/**
 * A ProjectionRunner in a process of its own, so that test/consumer/runner-crash.test.ts can
 * SIGKILL or SIGTERM it in the middle of a batch. The handler (the per-event `handle` API)
 * upserts `items` newer-wins and appends one row per event to `effects`, which has no unique
 * key: an event applied twice shows as two rows there.
 *
 * Env: BROKERS (comma-separated), STORE_URL (database selected), TOPIC, GROUP_ID, and
 * HOLD_ID: the first time the event of that item id is handled, after its rows are written
 * and while the batch's transaction is still open, the handler prints a `held` line and waits
 * for SIGUSR2. SIGTERM stops the way the services do (run-service.ts): runner.stop(), then the
 * pool is closed and the process exits 0.
 *
 * stdout lines carrying `"fixture"` are for the test: started, handled, held, batch, stopping,
 * runner-stopped, stopped.
 */
const env = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`runner-child: ${name} is not set`);
  return value;
};
const holdId = process.env.HOLD_ID ? Number(process.env.HOLD_ID) : null;

const say = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);

const knex = knexFactory({
  client: 'mysql2',
  connection: {
    uri: env('STORE_URL'),
    timezone: 'Z',
    supportBigNumbers: true,
    bigNumberStrings: true,
  } as never,
  pool: {
    min: 0,
    max: 4,
    // A row lock held by the test turns into ER_LOCK_WAIT_TIMEOUT (transient) after 1 s instead of 50 s.
    afterCreate: (
      conn: { query(sql: string, cb: (err: Error | null) => void): void },
      done: (err: Error | null, conn: unknown) => void,
    ) => conn.query('SET SESSION innodb_lock_wait_timeout = 1', (err) => done(err, conn)),
  },
});

let release: () => void = () => undefined;
const released = new Promise<void>((resolve) => {
  release = resolve;
});
process.on('SIGUSR2', () => release());
let held = false;
/** The offsets each open transaction has handled so far: the `held` line reports its batch. */
const inTransaction = new WeakMap<Knex.Transaction, string[]>();

const runner = new ProjectionRunner({
  brokers: env('BROKERS').split(','),
  groupId: env('GROUP_ID'),
  knex,
  retry: { baseMs: 50, capMs: 200 },
  projection: {
    name: 'crash-items',
    topics: [env('TOPIC')],
    // the topic is legacy.shop.items_<suffix>; the events name table items
    sources: { [env('TOPIC')]: { table: 'items' } },
    async handle(event, trx) {
      const row = (event.after ?? event.before)!;
      const id = Number(row.id);
      say({ fixture: 'handled', offset: event.offset });
      await upsertNewer(
        trx,
        'items',
        [{ id, name: row.name, deleted: event.op === 'd' ? 1 : 0, src_pos: eventPosition(event) }],
        { keyColumns: ['id'], positionColumn: 'src_pos' },
      );
      await trx('effects').insert({ kafka_offset: event.offset, item_id: id });
      const offsets = [...(inTransaction.get(trx) ?? []), event.offset];
      inTransaction.set(trx, offsets);
      if (id === holdId && !held) {
        held = true;
        const [[{ connectionId }]] = await trx.raw('SELECT CONNECTION_ID() AS connectionId');
        const [[{ effects }]] = await trx.raw('SELECT COUNT(*) AS effects FROM effects');
        say({
          fixture: 'held',
          offset: event.offset,
          trxOffsets: offsets,
          connectionId: Number(connectionId),
          effectsInTrx: Number(effects),
        });
        await released;
      }
    },
  },
});

// After a batch's transaction committed: in a graceful stop it must come before `runner-stopped`.
runner.on('batch', (b: { count: number }) => say({ fixture: 'batch', count: b.count }));

let stopping = false;
process.on('SIGTERM', () => {
  if (stopping) return;
  stopping = true;
  say({ fixture: 'stopping' });
  void runner
    .stop()
    // What the store holds the moment stop() resolves: the batch in flight must be in it.
    .then(async () => {
      const stored = await knex('cdc_offsets')
        .where({ group_id: env('GROUP_ID') })
        .first();
      say({ fixture: 'runner-stopped', storedNextOffset: stored ? String(stored.next_offset) : null });
    })
    .then(() => knex.destroy())
    .then(() => {
      say({ fixture: 'stopped', counters: runner.counters });
      process.exit(0);
    });
});

await runner.start();
say({ fixture: 'started' });
