import knexFactory, { type Knex } from 'knex';
import { withDatabase } from '../../../lib/database/url.ts';
import type { BackfillFigures, TableCheck } from '../figures.ts';
import { RehearsalError } from '../thresholds.ts';
import type { StoreMapping } from './store-mappings.ts';
import { compareTable } from './table-checksum.ts';

function connect(serverUrl: string, database: string): Knex {
  return knexFactory({
    client: 'mysql2',
    // Failures surface as REHEARSE_ERR_STORE_QUERY with the reason; knex's own console noise would repeat it.
    log: { error() {}, warn() {}, debug() {}, deprecate() {} },
    connection: {
      uri: withDatabase(serverUrl, database),
      timezone: 'Z',
      dateStrings: true,
    } as Knex.MySql2ConnectionConfig,
    pool: {
      min: 0,
      max: 2,
      afterCreate: (
        conn: { query: (sql: string, cb: (err: unknown) => void) => void },
        done: (err: unknown, conn: unknown) => void,
      ) => conn.query("SET time_zone = '+00:00'", (err) => done(err, conn)),
    },
  });
}

const clean = (checks: TableCheck[]) => checks.every((c) => c.missing + c.extra + c.different === 0);

/**
 * Stage 2: compares every mapped table until they agree or `settleTimeoutMs` passes. The
 * service catches up through CDC, so a first difference is retried (once a second) before it
 * counts; the last comparison is what the gate judges.
 */
export async function measureBackfill(options: {
  serverUrl: string;
  legacyDatabase: string;
  serviceDatabase: string;
  mapping: StoreMapping | undefined;
  route: string;
  settleTimeoutMs: number;
  lag: () => Promise<number | null>;
  /** The share of the settle timeout spent so far (1 when the stores agree). */
  onProgress?: (fraction: number) => void;
}): Promise<BackfillFigures> {
  if (!options.mapping) {
    throw new RehearsalError(
      'REHEARSE_ERR_NO_STORE_MAPPING',
      `no store mapping for route "${options.route}" in scripts/rehearsal/live/store-mappings.ts: say which legacy tables its service copies`,
    );
  }
  const legacy = connect(options.serverUrl, options.legacyDatabase);
  const service = connect(options.serverUrl, options.serviceDatabase);
  const started = Date.now();
  try {
    for (;;) {
      let checks: TableCheck[];
      try {
        checks = [];
        for (const t of options.mapping.tables) checks.push(await compareTable(legacy, service, t));
      } catch (err) {
        throw new RehearsalError(
          'REHEARSE_ERR_STORE_QUERY',
          `comparing ${options.legacyDatabase} with the service store ${options.serviceDatabase} failed: ${(err as Error).message}`,
          { cause: err },
        );
      }
      if (clean(checks) || Date.now() - started > options.settleTimeoutMs) {
        options.onProgress?.(1);
        return { tables: checks, lagMs: await options.lag(), waitedMs: Date.now() - started };
      }
      options.onProgress?.(Math.min(1, (Date.now() - started) / options.settleTimeoutMs));
      await new Promise((r) => setTimeout(r, 1000));
    }
  } finally {
    await Promise.all([legacy.destroy(), service.destroy()]);
  }
}
