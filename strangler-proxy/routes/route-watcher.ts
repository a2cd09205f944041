import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../lib/log.ts';
import { loadRouteTableFile, type RouteTable } from './route-table.ts';

/**
 * Hot reload of the route table file. A change is validated in full before it replaces the
 * running table (one reference swap, so a request sees the old or the new table, never a
 * mix); an invalid file is logged with the field it fails on and the running table stays.
 * fs.watch on the folder catches atomic renames; a 1 s stat poll backs it up.
 */
export class RouteWatcher {
  #timer: NodeJS.Timeout | undefined;
  #watcher: fs.FSWatcher | undefined;
  lastError: string | undefined;
  lastLoadedAt = new Date();

  constructor(
    private readonly file: string,
    private readonly captureMaxBytes: number,
    private readonly apply: (table: RouteTable) => void,
    private readonly log: Logger,
  ) {}

  start(): void {
    const base = path.basename(this.file);
    try {
      this.#watcher = fs.watch(path.dirname(this.file), (_event, name) => {
        if (name === base) this.#schedule();
      });
      this.#watcher.on('error', (err) =>
        this.log.warn({ err: err.message }, 'route file watch failed; polling only'),
      );
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'cannot watch the route file folder; polling only');
    }
    fs.watchFile(this.file, { interval: 1000 }, (cur, prev) => {
      if (cur.mtimeMs !== prev.mtimeMs || cur.ino !== prev.ino) this.#schedule();
    });
  }

  #schedule(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.reload(), 100);
  }

  async reload(): Promise<boolean> {
    try {
      const table = await loadRouteTableFile(this.file, this.captureMaxBytes);
      this.apply(table);
      this.lastError = undefined;
      this.lastLoadedAt = new Date();
      this.log.info({ routes: table.routes.map((r) => r.id) }, 'route table reloaded');
      return true;
    } catch (err) {
      this.lastError = (err as Error).message;
      this.log.error({ err: this.lastError }, 'route table change rejected; the running table stays');
      return false;
    }
  }

  stop(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
    fs.unwatchFile(this.file);
  }
}
