import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * The audit trail: every change of a route, flag, operator token or tester override, by anyone,
 * with time, actor, reason, before and after. One JSON object a line in `<data>/audit.jsonl`,
 * appended and fsynced before the change is acknowledged, so a restart (or a crash) loses no
 * entry that was reported written. Several writers may share the file (the proxy, the gateway,
 * `strangler shift`): each append is one O_APPEND write, which the kernel never interleaves, and
 * the order of the file is the order of the trail.
 */
export interface AuditEntry {
  /** Unique, for referring to one entry. */
  id: string;
  at: string;
  /** Who: an operator token's name, `admin` (the shared token), `cli:<user>`, `flag source`, `routes file`. */
  actor: string;
  /** What, e.g. `flag.shift`, `route.put`, `operator.create`, `override.issue`, `flag.seen`. */
  action: string;
  /** The route, flag, operator or tester the change is about. */
  target: string;
  reason: string | null;
  before: unknown;
  after: unknown;
}

export type AuditInput = Omit<AuditEntry, 'id' | 'at'>;

export interface AuditQuery {
  /** Entries about this target only (a route id, an operator name). */
  target?: string;
  /** The newest N (default 100, at most 10 000). */
  limit?: number;
}

export class AuditTrail {
  readonly file: string;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(file: string) {
    this.file = file;
  }

  /** The trail under the data folder; a line torn by a crash mid-append is cut off first. */
  static async open(dataDir: string): Promise<AuditTrail> {
    const trail = new AuditTrail(path.join(dataDir, 'audit.jsonl'));
    await fs.mkdir(dataDir, { recursive: true });
    await trail.#repairTail();
    return trail;
  }

  /** Appends one entry and returns it once it is on disk. */
  append(input: AuditInput): Promise<AuditEntry> {
    const entry: AuditEntry = {
      id: randomBytes(8).toString('hex'),
      at: new Date().toISOString(),
      actor: input.actor,
      action: input.action,
      target: input.target,
      reason: input.reason ?? null,
      before: input.before ?? null,
      after: input.after ?? null,
    };
    const write = this.#queue.then(async () => {
      const handle = await fs.open(this.file, 'a', 0o600);
      try {
        await handle.write(`${JSON.stringify(entry)}\n`);
        await handle.datasync();
      } finally {
        await handle.close();
      }
      return entry;
    });
    this.#queue = write.catch(() => undefined);
    return write;
  }

  /** Entries oldest first (the newest `limit` of them), optionally about one target. */
  async read(query: AuditQuery = {}): Promise<AuditEntry[]> {
    const limit = Math.min(Math.max(query.limit ?? 100, 1), 10_000);
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    const entries: AuditEntry[] = [];
    for (const line of text.split('\n')) {
      if (!line) continue;
      // A torn last line of another writer's crash is not an entry (never acknowledged).
      let entry: AuditEntry;
      try {
        entry = JSON.parse(line) as AuditEntry;
      } catch {
        continue;
      }
      if (query.target === undefined || entry.target === query.target) entries.push(entry);
    }
    return entries.slice(-limit);
  }

  /**
   * A crash between the write and its fsync can leave a partial last line. It was never
   * acknowledged, so it is dropped; the next entry then starts on a line of its own.
   */
  async #repairTail(): Promise<void> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw err;
    }
    if (text === '' || text.endsWith('\n')) return;
    const keep = text.lastIndexOf('\n') + 1;
    await fs.truncate(this.file, Buffer.byteLength(text.slice(0, keep)));
  }
}

/**
 * Why a change was made: the `x-strangler-reason` header or a `reason` field of a JSON body.
 * Capped: a reason is a sentence, not a document.
 */
export function reasonOf(header: string | string[] | undefined, body: unknown): string | null {
  const fromBody =
    typeof body === 'object' && body !== null ? (body as { reason?: unknown }).reason : undefined;
  const raw = typeof fromBody === 'string' ? fromBody : Array.isArray(header) ? header[0] : header;
  const text = raw?.trim();
  return text ? text.slice(0, 500) : null;
}
