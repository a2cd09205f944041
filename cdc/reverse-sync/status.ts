import type { Knex } from 'knex';
import { compareSourcePositions, parseSourcePosition } from '../../contract/index.ts';
import { settledWithin } from '../../lib/timeout.ts';
import { type BinlogHead, type ProjectionRunner, positionKey } from '../consumer/index.ts';
import type { ReverseStatus, ReverseTableStatus, SecondWriterAlarm } from './client.ts';
import type { ReverseMapping } from './mapping.ts';
import { readTableStates } from './state-store.ts';

/** Reads the store server's binlog files (consumer library's binlogHeadReader). */
export type HeadReader = () => Promise<BinlogHead>;

/** How long /status waits for each peer (Kafka, the connector, the service) before saying so. */
const peerWaitMs = 2000;

/** The store server's binlog end: where a change committed now would start. */
export async function storeHead(read: HeadReader): Promise<{ label: string; key: string }> {
  const head = await read();
  const pos = head.sizes.get(head.newest) ?? 4;
  return {
    label: `${head.newestFile}:${pos}`,
    key: positionKey({ file: head.newestFile, pos, row: 0, snapshot: false, gtid: null, tsMs: null }),
  };
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetch(url, { signal: AbortSignal.timeout(peerWaitMs) });
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return res.json();
}

/** Ahead or equal: `a` ≥ `b` as source positions; false when either is missing or they cannot be ordered. */
function atOrAfter(a: string | null, b: string | null): boolean {
  const pa = parseSourcePosition(a ?? undefined);
  const pb = parseSourcePosition(b ?? undefined);
  if (!pa || !pb) return false;
  return (compareSourcePositions(pa, pb) ?? -1) >= 0;
}

/**
 * GET /status. "Caught up" is measured against the store server's binlog end read first: the
 * applied position is the newest store change applied, or, once every message on the store's
 * topics is applied, the store connector's acknowledged position (read after the head, before
 * the topics' ends): every store change up to there is in Kafka, so it is applied too. On a
 * server shared with other databases that is what lets the applied position reach the head
 * when the newest binlog events are not the store's.
 */
export async function readStatus(options: {
  mapping: ReverseMapping;
  knex: Knex;
  runner: ProjectionRunner;
  head: HeadReader;
  connectorUrl?: string;
  serviceUrl?: string;
}): Promise<ReverseStatus> {
  const problems: string[] = [];
  let head: string | null = null;
  try {
    head = (await storeHead(options.head)).label;
  } catch (err) {
    problems.push(`store server: ${(err as Error).message}`);
  }
  let acked: string | null = null;
  if (options.connectorUrl) {
    try {
      const status = (await getJson(`${options.connectorUrl}/status`)) as {
        position?: { file?: string; pos?: number } | null;
      };
      if (status.position?.file && Number.isInteger(status.position.pos))
        acked = `${status.position.file}:${status.position.pos}`;
    } catch (err) {
      problems.push(`store connector: ${(err as Error).message}`);
    }
  }
  let eventsBehind: number | null = null;
  let lagMs: number | null = null;
  let lastError: string | null = null;
  const lagLookup = options.runner.lag();
  lagLookup.catch(() => undefined);
  if (await settledWithin(lagLookup, peerWaitMs)) {
    const lag = await lagLookup.catch((err: Error) => {
      problems.push(`kafka: ${err.message}`);
      return null;
    });
    if (lag) {
      eventsBehind = lag.eventsBehind;
      lagMs = lag.lagMs;
      lastError = lag.lastError;
    }
  } else problems.push(`kafka did not answer within ${peerWaitMs} ms`);
  let applied = options.runner.storePosition()?.label ?? null;
  if (eventsBehind === 0 && acked !== null && !atOrAfter(applied, acked)) applied = acked;
  const caughtUp = atOrAfter(applied, head);

  let secondWriters: Record<string, SecondWriterAlarm> | string = 'REVERSE_SERVICE_URL is not set';
  if (options.serviceUrl) {
    try {
      const ownership = (await getJson(`${options.serviceUrl}/writes/ownership`)) as {
        secondWriters?: Record<string, SecondWriterAlarm>;
      };
      secondWriters = ownership.secondWriters ?? {};
    } catch (err) {
      secondWriters = `the service did not answer: ${(err as Error).message}`;
    }
  }
  const states = await readTableStates(options.knex);
  const tables: Record<string, ReverseTableStatus> = {};
  for (const table of options.mapping.legacyTables) {
    const state = states.get(table);
    tables[table] = {
      route: options.mapping.route,
      enabled: state?.enabled ?? false,
      enabledAt: state?.enabledAt ?? null,
      appliedPosition: applied,
      headPosition: head,
      lagMs: caughtUp ? 0 : lagMs,
      caughtUp,
      secondWriters: typeof secondWriters === 'string' ? null : (secondWriters[table]?.changes ?? 0),
      appliedRows: state?.appliedRows ?? 0,
    };
  }
  const alarm = typeof secondWriters !== 'string' && Object.keys(secondWriters).length > 0;
  return {
    status: problems.length === 0 && !alarm ? 'ok' : 'degraded',
    route: options.mapping.route,
    tables,
    appliedPosition: applied,
    headPosition: head,
    caughtUp,
    counters: {
      events: options.runner.counters.applied,
      deadLetteredByReason: { ...options.runner.counters.deadLetteredByReason },
    },
    secondWriters,
    lastError: problems.length > 0 ? problems.join('; ') : lastError,
  };
}
