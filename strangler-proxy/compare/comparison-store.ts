import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, openSync, renameSync, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolkitError } from '../../lib/errors.ts';
import type { FieldDiff } from './diff.ts';

/**
 * Where comparison outcomes live, durable across proxy restarts:
 * - `counters.json`: per-route counts (all comparisons; the writes among them, compared as dry
 *   runs; those whose answers' statuses differed), replaced atomically (write temp, rename) at
 *   most once a second and on close;
 * - `records.jsonl` + `records.1.jsonl`: the non-matching exchanges (mismatch, noise, lag,
 *   error) with both answers and the diff, already redacted. Bounded: when the current file
 *   holds half the cap it becomes `.1` (dropping the older one), so at most `maxRecords` are
 *   kept and the newest are never lost.
 */
export type Outcome = 'match' | 'mismatch' | 'noise' | 'lag' | 'error' | 'shed';
export const outcomes: Outcome[] = ['match', 'mismatch', 'noise', 'lag', 'error', 'shed'];

export interface RecordedAnswer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

export interface ComparisonRecord {
  id: string;
  at: string;
  routeId: string;
  outcome: Exclude<Outcome, 'match' | 'shed'>;
  request: { method: string; path: string; headers: Record<string, string>; body?: unknown };
  legacy?: RecordedAnswer;
  new?: RecordedAnswer;
  diffs: FieldDiff[];
  noise: FieldDiff[];
  note?: string;
}

export type RouteCounters = Record<Outcome, number>;
export type NoiseState = Record<string, { samples: number; fields: Record<string, number> }>;

const emptyCounters = (): RouteCounters => ({ match: 0, mismatch: 0, noise: 0, lag: 0, error: 0, shed: 0 });

export class ComparisonStoreError extends ToolkitError {}

/** What a report needs from a store: the live one in the proxy, or a read-only view of its files. */
export interface ComparisonSource {
  counters(): Record<string, RouteCounters>;
  /** The writes among `counters` (dry-run comparisons), per route. */
  writeCounters(): Record<string, RouteCounters>;
  /** Per route, comparisons whose two answers had different statuses. */
  statusDifferences(): Record<string, number>;
  records(routeId?: string): Promise<ComparisonRecord[]>;
}

export class ComparisonStore implements ComparisonSource {
  readonly #dir: string;
  readonly #half: number;
  #counters = new Map<string, RouteCounters>();
  #writes = new Map<string, RouteCounters>();
  #statusDiffers = new Map<string, number>();
  #noise: NoiseState = {};
  #out: WriteStream | undefined;
  #lines = 0;
  #dirty = false;
  #timer: NodeJS.Timeout | undefined;
  #saving: Promise<void> = Promise.resolve();

  constructor(options: { dir: string; maxRecords?: number }) {
    this.#dir = options.dir;
    this.#half = Math.max(1, Math.floor((options.maxRecords ?? 10_000) / 2));
  }

  async open(): Promise<this> {
    await fs.mkdir(this.#dir, { recursive: true });
    await this.#load();
    this.#lines = await countLines(this.#file('records.jsonl'));
    this.#out = this.#openRecords('a');
    this.#timer = setInterval(() => void this.#saveCounters(), 1000);
    this.#timer.unref();
    return this;
  }

  /**
   * The files of a store another process owns (a running proxy's `<data>/compare`), for
   * reports: counters and records as last written, nothing opened for writing.
   */
  static async readOnly(dir: string): Promise<ComparisonSource> {
    const stat = await fs.stat(dir).catch(() => undefined);
    if (!stat?.isDirectory()) {
      throw new ComparisonStoreError(
        'PROXY_ERR_COMPARE_STORE_MISSING',
        `no comparison store at ${dir}: expected the proxy's <STRANGLER_DATA_DIR>/compare folder (counters.json, records.jsonl)`,
      );
    }
    const store = new ComparisonStore({ dir });
    await store.#load();
    return store;
  }

  async #load(): Promise<void> {
    try {
      const saved = JSON.parse(await fs.readFile(this.#file('counters.json'), 'utf8'));
      for (const [route, c] of Object.entries(saved.routes ?? {}))
        this.#counters.set(route, { ...emptyCounters(), ...(c as RouteCounters) });
      for (const [route, c] of Object.entries(saved.writes ?? {}))
        this.#writes.set(route, { ...emptyCounters(), ...(c as RouteCounters) });
      for (const [route, n] of Object.entries(saved.statusDifferences ?? {}))
        this.#statusDiffers.set(route, Number(n));
      this.#noise = saved.noise ?? {};
    } catch {
      // first start: nothing counted yet
    }
  }

  // Opened synchronously so a rotation is ordered: rename, then open the fresh file. With an
  // asynchronous open the new file could be created (and truncated) before the rename ran.
  #openRecords(flags: 'a' | 'w'): WriteStream {
    const fd = openSync(this.#file('records.jsonl'), flags);
    return createWriteStream('', { fd, autoClose: true });
  }

  #file(name: string): string {
    return path.join(this.#dir, name);
  }

  /** One outcome of a route; `write`: also among its writes; `statusDiffers`: the statuses differed. */
  count(routeId: string, outcome: Outcome, detail: { write?: boolean; statusDiffers?: boolean } = {}): void {
    bump(this.#counters, routeId, outcome);
    if (detail.write) bump(this.#writes, routeId, outcome);
    if (detail.statusDiffers) this.#statusDiffers.set(routeId, (this.#statusDiffers.get(routeId) ?? 0) + 1);
    this.#dirty = true;
  }

  counters(): Record<string, RouteCounters> {
    return Object.fromEntries([...this.#counters].map(([k, v]) => [k, { ...v }]));
  }

  writeCounters(): Record<string, RouteCounters> {
    return Object.fromEntries([...this.#writes].map(([k, v]) => [k, { ...v }]));
  }

  statusDifferences(): Record<string, number> {
    return Object.fromEntries(this.#statusDiffers);
  }

  /** Noise model state is saved with the counters, so a restart keeps what was learnt. */
  setNoiseState(state: NoiseState): void {
    this.#noise = state;
    this.#dirty = true;
  }

  noiseState(): NoiseState {
    return this.#noise;
  }

  record(entry: Omit<ComparisonRecord, 'id' | 'at'>): ComparisonRecord {
    const full: ComparisonRecord = { id: randomUUID(), at: new Date().toISOString(), ...entry };
    if (this.#lines >= this.#half) this.#rotate();
    this.#out?.write(`${JSON.stringify(full)}\n`);
    this.#lines++;
    return full;
  }

  #rotate(): void {
    // Renaming a file open for append is safe on POSIX: the old stream's pending writes
    // land in the renamed file through its descriptor. Rotation happens once per
    // maxRecords/2 records, so the synchronous rename and open cost nothing that matters.
    renameSync(this.#file('records.jsonl'), this.#file('records.1.jsonl'));
    this.#out?.end();
    this.#out = this.#openRecords('w');
    this.#lines = 0;
  }

  /** Records, newest last; optionally for one route. */
  async records(routeId?: string): Promise<ComparisonRecord[]> {
    const out: ComparisonRecord[] = [];
    for (const name of ['records.1.jsonl', 'records.jsonl']) {
      const text = await fs.readFile(this.#file(name), 'utf8').catch(() => '');
      for (const line of text.split('\n')) {
        if (!line) continue;
        try {
          const r = JSON.parse(line) as ComparisonRecord;
          if (!routeId || r.routeId === routeId) out.push(r);
        } catch {
          // a torn last line after a crash: skip it, the rest is intact
        }
      }
    }
    return out;
  }

  // Saves are chained: the timer's save and close()'s final save never share the temp file.
  #saveCounters(): Promise<void> {
    this.#saving = this.#saving.then(async () => {
      if (!this.#dirty || !this.#out) return;
      this.#dirty = false;
      const tmp = this.#file(`counters.json.${process.pid}.tmp`);
      await fs.writeFile(
        tmp,
        JSON.stringify({
          routes: this.counters(),
          writes: this.writeCounters(),
          statusDifferences: this.statusDifferences(),
          noise: this.#noise,
        }),
      );
      await fs.rename(tmp, this.#file('counters.json'));
    });
    return this.#saving.catch(() => {});
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#saveCounters();
    const out = this.#out;
    this.#out = undefined;
    if (out) {
      out.end();
      await once(out, 'close');
    }
  }
}

function bump(counters: Map<string, RouteCounters>, routeId: string, outcome: Outcome): void {
  const c = counters.get(routeId) ?? emptyCounters();
  counters.set(routeId, c);
  c[outcome]++;
}

async function countLines(file: string): Promise<number> {
  const text = await fs.readFile(file, 'utf8').catch(() => '');
  let n = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) n++;
  return n;
}
