import mysql from 'mysql2/promise';
import type { ChangeEvent } from './envelope.ts';
import { ConsumerError } from './errors.ts';
import { fileNumber } from './source-position.ts';

/** What `SHOW BINARY LOGS` says: every binlog file the source still has, with its size. */
export interface BinlogHead {
  /** Numeric suffix of the newest file. */
  newest: number;
  /** Name of the newest file (for messages). */
  newestFile: string;
  /** Size in bytes per file sequence: no event in that file can sit beyond it. */
  sizes: Map<number, number>;
}

/** Reads the source's binlog files; throws when the server cannot answer. */
export type BinlogHeadReader = () => Promise<BinlogHead>;

/** `SHOW BINARY LOGS` on the source server (needs REPLICATION CLIENT or, MariaDB ≥ 10.5.2, BINLOG MONITOR). */
export function binlogHeadReader(sourceUrl: string): { read: BinlogHeadReader; close(): Promise<void> } {
  // One connection at most, kept while in use and closed after a minute idle; a server that
  // does not answer the connect fails the read within 5 s (the runner then retries).
  let pool: mysql.Pool | null = null;
  return {
    async read() {
      pool ??= mysql.createPool({
        uri: sourceUrl,
        connectionLimit: 1,
        maxIdle: 1,
        idleTimeout: 60_000,
        connectTimeout: 5000,
      });
      const [rows] = (await pool.query('SHOW BINARY LOGS')) as unknown as [Record<string, unknown>[]];
      return headOf(rows.map((r) => ({ file: String(r.Log_name), size: Number(r.File_size) })));
    },
    async close() {
      const p = pool;
      pool = null;
      await p?.end();
    },
  };
}

export function headOf(files: { file: string; size: number }[]): BinlogHead {
  if (files.length === 0) throw new Error('the source lists no binary logs (is log_bin on?)');
  const sizes = new Map<number, number>();
  let newest = -1;
  let newestFile = '';
  for (const { file, size } of files) {
    const seq = fileNumber(file);
    sizes.set(seq, size);
    if (seq > newest) {
      newest = seq;
      newestFile = file;
    }
  }
  return { newest, newestFile, sizes };
}

/**
 * Whether an event's position lies beyond what the source has written: a file newer than the
 * source's newest, or a position past the end of a file the source lists. A file the source has
 * purged (older than every listed one) cannot be checked; its events are older than every event
 * the source can still produce, so they cannot pin a row past later changes.
 */
export function aheadOf(head: BinlogHead, file: string, pos: number): string | null {
  const seq = fileNumber(file);
  if (seq > head.newest) return `the source's newest binlog is ${head.newestFile}`;
  const size = head.sizes.get(seq);
  if (size !== undefined && pos > size) return `binlog file number ${seq} ends at ${size} on the source`;
  return null;
}

/**
 * Lazily checks event positions against the source server. The last answer is cached; the
 * server is asked only when an event is ahead of it (the source has written more since, or the
 * event is forged), at most once per call of `check`. When the server cannot answer, `check`
 * throws a retriable CDC_ERR_SOURCE_UNAVAILABLE: the runner holds the batch and retries it,
 * never applying an unchecked event and never dead-lettering one because of a network blip.
 */
export class SourceHead {
  private head: BinlogHead | null = null;
  private pending: Promise<BinlogHead> | null = null;
  /** How many times the server was asked (for tests and health). */
  reads = 0;

  constructor(private readonly reader: BinlogHeadReader) {}

  /** Per event, null when its position is one the source has written, else why not. */
  async check(events: ChangeEvent[]): Promise<(string | null)[]> {
    const verdict = (head: BinlogHead | null) =>
      events.map((e) => (e.position && head ? aheadOf(head, e.position.file, e.position.pos) : null));
    const positioned = events.some((e) => e.position);
    if (!positioned) return events.map(() => null);
    const cached = this.head ? verdict(this.head) : null;
    if (cached?.every((v) => v === null)) return cached;
    const head = await this.refresh();
    return verdict(head);
  }

  private async refresh(): Promise<BinlogHead> {
    this.pending ??= (async () => {
      try {
        this.reads++;
        const head = await this.reader();
        this.head = head;
        return head;
      } catch (err) {
        throw new ConsumerError(
          'CDC_ERR_SOURCE_UNAVAILABLE',
          `cannot read the source's binlog position (SHOW BINARY LOGS): ${(err as Error)?.message ?? String(err)}`,
          { retriable: true, cause: err },
        );
      } finally {
        this.pending = null;
      }
    })();
    return this.pending;
  }
}
