import fs from 'node:fs';

/**
 * Group commit: producers that need durability ask for a flush; every file written since the
 * last round is fdatasync'ed once per round and all waiters of that round are released
 * together. A waiter that arrives while a round runs waits for the next one, because its
 * write may have landed after that round's fdatasync began.
 */
export class Flusher {
  private dirty = new Set<number>();
  private waiting: Array<{ resolve: () => void; reject: (err: unknown) => void }> = [];
  private running = false;
  rounds = 0;

  constructor(private readonly enabled: boolean) {}

  /** Marks a file descriptor as written; the next round syncs it. */
  markDirty(fd: number): void {
    if (this.enabled) this.dirty.add(fd);
  }

  /** Resolves once everything written before this call is on disk. */
  flush(): Promise<void> {
    if (!this.enabled || (this.dirty.size === 0 && !this.running)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.loop();
    });
  }

  /** Forgets a descriptor that is about to be closed (after syncing it). */
  forget(fd: number): void {
    if (this.dirty.delete(fd) && this.enabled) fs.fdatasyncSync(fd);
  }

  private async loop(): Promise<void> {
    this.running = true;
    while (this.waiting.length > 0) {
      const fds = [...this.dirty];
      this.dirty.clear();
      const round = this.waiting;
      this.waiting = [];
      try {
        await Promise.all(fds.map(datasync));
        this.rounds++;
        for (const w of round) w.resolve();
      } catch (err) {
        for (const w of round) w.reject(err);
      }
    }
    this.running = false;
  }
}

/** EBADF: the file was closed meanwhile (topic deleted), and `forget` synced it before closing. */
function datasync(fd: number): Promise<void> {
  return new Promise((resolve, reject) =>
    fs.fdatasync(fd, (err) => (err && err.code !== 'EBADF' ? reject(err) : resolve())),
  );
}
