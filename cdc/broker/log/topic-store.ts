import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from '../../../lib/log.ts';
import { StorageError } from '../errors.ts';
import { BatchCache } from './batch-cache.ts';
import { Flusher } from './flusher.ts';
import { PartitionLog } from './partition-log.ts';
import { syncDir } from './segment.ts';

export interface Topic {
  name: string;
  partitions: PartitionLog[];
}

export interface TopicStoreOptions {
  dataDir: string;
  segmentBytes: number;
  cacheBytes: number;
  fsync: boolean;
  log: Logger;
}

/** Kafka's rule for topic names (also keeps them safe as directory names). */
export const validTopicName = (name: string) =>
  name.length > 0 && name.length <= 249 && /^[a-zA-Z0-9._-]+$/.test(name) && name !== '.' && name !== '..';

/**
 * Topics on disk: `<dataDir>/topics/<name>/topic.json` ({ partitions }) and one folder per
 * partition holding its segments. Everything is loaded before the broker listens.
 */
export class TopicStore {
  readonly flusher: Flusher;
  private readonly cache: BatchCache;
  private readonly topics = new Map<string, Topic>();
  private readonly root: string;

  constructor(private readonly options: TopicStoreOptions) {
    this.root = path.join(options.dataDir, 'topics');
    this.flusher = new Flusher(options.fsync);
    this.cache = new BatchCache(options.cacheBytes);
    fs.mkdirSync(this.root, { recursive: true });
    for (const name of fs.readdirSync(this.root)) {
      if (name.startsWith('.')) {
        fs.rmSync(path.join(this.root, name), { recursive: true, force: true });
        continue;
      }
      const metaPath = path.join(this.root, name, 'topic.json');
      if (!fs.existsSync(metaPath)) {
        options.log.warn(
          { topic: name },
          'ignoring a topic folder without topic.json (creation interrupted)',
        );
        continue;
      }
      let meta: { partitions: number };
      try {
        meta = JSON.parse(fs.readFileSync(metaPath, 'utf8'));
      } catch (cause) {
        throw new StorageError(`unreadable ${metaPath}; restore it or delete the topic folder`, { cause });
      }
      this.open(name, meta.partitions);
    }
  }

  private open(name: string, count: number): Topic {
    const dir = path.join(this.root, name);
    const logOptions = {
      segmentBytes: this.options.segmentBytes,
      cache: this.cache,
      flusher: this.flusher,
      log: this.options.log,
    };
    const partitions = Array.from(
      { length: count },
      (_, p) => new PartitionLog(PartitionLog.dirFor(dir, p), logOptions),
    );
    const topic = { name, partitions };
    this.topics.set(name, topic);
    return topic;
  }

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  partition(name: string, index: number): PartitionLog | undefined {
    return this.topics.get(name)?.partitions[index];
  }

  list(): Topic[] {
    return [...this.topics.values()];
  }

  /** Creates the folder, the partition folders, then topic.json last (its presence = created). */
  create(name: string, partitions: number): Topic {
    const dir = path.join(this.root, name);
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const topic = this.open(name, partitions);
    const tmp = path.join(dir, 'topic.json.tmp');
    fs.writeFileSync(tmp, JSON.stringify({ partitions, createdAt: new Date().toISOString() }));
    fs.renameSync(tmp, path.join(dir, 'topic.json'));
    syncDir(dir);
    syncDir(this.root);
    this.options.log.info({ topic: name, partitions }, 'topic created');
    return topic;
  }

  /** Removes the topic at once (renamed away, then deleted) and wakes fetches parked on it. */
  delete(name: string): boolean {
    const topic = this.topics.get(name);
    if (!topic) return false;
    this.topics.delete(name);
    for (const p of topic.partitions) {
      p.close();
      p.wakeAll();
    }
    const trash = path.join(this.root, `.deleted-${name}-${Date.now()}`);
    fs.renameSync(path.join(this.root, name), trash);
    syncDir(this.root);
    fs.rm(trash, { recursive: true, force: true }, () => {});
    this.options.log.info({ topic: name }, 'topic deleted');
    return true;
  }

  close(): void {
    for (const topic of this.topics.values()) for (const p of topic.partitions) p.close();
    this.topics.clear();
  }
}
