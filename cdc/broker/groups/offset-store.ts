import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../lib/log.ts';
import type { Flusher } from '../log/flusher.ts';
import { syncDir } from '../log/segment.ts';

export interface CommittedOffset {
  offset: number;
  metadata: string | null;
}

/** One line of `offsets.jsonl`: a commit, or a deletion when `offset` is absent. */
interface OffsetLine {
  g: string;
  t: string;
  p: number;
  o?: number;
  m?: string | null;
}

/**
 * Committed group offsets: an append-only JSON-lines file, last line wins, written before a
 * commit is acknowledged and fdatasync'ed by the next group-commit round. Compacted at start. A torn last line
 * (crash mid-write) is dropped; it was never acknowledged. Offsets are stored verbatim,
 * negative ones included (kafkajs commits -2 after OFFSET_OUT_OF_RANGE and reads it back).
 */
export class OffsetStore {
  private readonly groups = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  private fd: number;
  private readonly file: string;

  /**
   * @param syncCommits wait for fdatasync before answering a commit. Off by default, as in
   *   Kafka (which never fsyncs commits): the write is in the page cache before the answer, so a
   *   process crash loses nothing, and the flush still follows at once; only a power loss in
   *   that window could lose a commit, and a lost commit means a replay, never a skip.
   */
  constructor(
    dir: string,
    private readonly flusher: Flusher,
    private readonly log: Logger,
    private readonly syncCommits = false,
  ) {
    fs.mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, 'offsets.jsonl');
    if (fs.existsSync(this.file)) {
      const lines = fs.readFileSync(this.file, 'utf8').split('\n');
      let bad = 0;
      for (const line of lines) {
        if (!line) continue;
        try {
          this.apply(JSON.parse(line) as OffsetLine);
        } catch {
          bad++;
        }
      }
      if (bad > 0)
        log.warn({ file: this.file, skippedLines: bad }, 'recovery: skipped torn offset-commit lines');
    }
    // Compact: rewrite the current state and swap it in atomically.
    const tmp = `${this.file}.tmp`;
    fs.writeFileSync(
      tmp,
      this.snapshot()
        .map((l) => `${JSON.stringify(l)}\n`)
        .join(''),
    );
    const tmpFd = fs.openSync(tmp, 'r');
    fs.fsyncSync(tmpFd);
    fs.closeSync(tmpFd);
    fs.renameSync(tmp, this.file);
    syncDir(dir);
    this.fd = fs.openSync(this.file, 'a');
  }

  private apply(l: OffsetLine): void {
    if (typeof l.g !== 'string' || typeof l.t !== 'string' || typeof l.p !== 'number')
      throw new Error('bad line');
    let topics = this.groups.get(l.g);
    if (!topics) {
      topics = new Map();
      this.groups.set(l.g, topics);
    }
    let parts = topics.get(l.t);
    if (!parts) {
      parts = new Map();
      topics.set(l.t, parts);
    }
    if (l.o === undefined) {
      parts.delete(l.p);
      if (parts.size === 0) topics.delete(l.t);
      if (topics.size === 0) this.groups.delete(l.g);
    } else parts.set(l.p, { offset: l.o, metadata: l.m ?? null });
  }

  private snapshot(): OffsetLine[] {
    const out: OffsetLine[] = [];
    for (const [g, topics] of this.groups)
      for (const [t, parts] of topics)
        for (const [p, c] of parts) out.push({ g, t, p, o: c.offset, m: c.metadata });
    return out;
  }

  private write(lines: OffsetLine[]): Promise<void> {
    for (const l of lines) this.apply(l);
    const text = Buffer.from(lines.map((l) => `${JSON.stringify(l)}\n`).join(''));
    fs.writeSync(this.fd, text);
    this.flusher.markDirty(this.fd);
    const flushed = this.flusher.flush();
    if (this.syncCommits) return flushed;
    flushed.catch((err) => this.log.error({ err: (err as Error).message }, 'offset commit fsync failed'));
    return Promise.resolve();
  }

  /** Stores commits; resolves once they are durable. */
  commit(
    group: string,
    commits: Array<{ topic: string; partition: number } & CommittedOffset>,
  ): Promise<void> {
    return this.write(
      commits.map((c) => ({ g: group, t: c.topic, p: c.partition, o: c.offset, m: c.metadata })),
    );
  }

  get(group: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(group)?.get(topic)?.get(partition);
  }

  /** Every committed (topic, partition) of a group (OffsetFetch with null topics). */
  all(group: string): Array<{ topic: string; partition: number } & CommittedOffset> {
    const out: Array<{ topic: string; partition: number } & CommittedOffset> = [];
    for (const [topic, parts] of this.groups.get(group) ?? [])
      for (const [partition, c] of parts) out.push({ topic, partition, ...c });
    return out;
  }

  groupIds(): string[] {
    return [...this.groups.keys()];
  }

  /** Forgets a deleted topic's commits in every group. */
  deleteTopic(topic: string): Promise<void> {
    const lines: OffsetLine[] = [];
    for (const [g, topics] of this.groups)
      for (const p of topics.get(topic)?.keys() ?? []) lines.push({ g, t: topic, p });
    return lines.length ? this.write(lines) : Promise.resolve();
  }

  close(): void {
    this.flusher.forget(this.fd);
    fs.closeSync(this.fd);
  }
}
