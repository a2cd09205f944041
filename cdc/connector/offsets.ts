import fs from 'node:fs/promises';
import path from 'node:path';
import { ConnectorError } from './errors.ts';

/** A point in the binlog the connector can resume from: always a transaction boundary. */
export interface BinlogPosition {
  file: string;
  pos: number;
  /** The server's GTID position at this point (MariaDB `0-1-42,…`, MySQL executed set), when known. */
  gtids: string | null;
}

/**
 * What the offsets file holds, in Kafka Connect's shape: the source partition and Debezium's
 * MySQL offset keys, so a team can compare it with a real connector's offsets.
 */
export interface StoredOffsets {
  partition: { server: string };
  offset: { file: string; pos: number; gtids?: string; ts_sec: number; snapshot_completed: boolean };
}

/**
 * Offsets live in a file replaced atomically (write a temporary file, fsync, rename, fsync the
 * folder): a crash leaves either the old or the new offsets, never half of one. The connector
 * writes it only for positions whose every event Kafka acknowledged.
 */
export class OffsetsFile {
  readonly file: string;
  constructor(dir: string, topicPrefix: string) {
    this.file = path.join(dir, `${topicPrefix}.offsets.json`);
  }

  async read(): Promise<StoredOffsets | undefined> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ConnectorError(
        'CONNECTOR_ERR_OFFSETS_FILE',
        `cannot read ${this.file}: ${(err as Error).message}`,
      );
    }
    try {
      const parsed = JSON.parse(text) as StoredOffsets;
      const o = parsed.offset;
      if (
        !o ||
        typeof o.file !== 'string' ||
        !Number.isInteger(o.pos) ||
        typeof o.snapshot_completed !== 'boolean'
      )
        throw new Error('missing offset.file, offset.pos or offset.snapshot_completed');
      return parsed;
    } catch (err) {
      throw new ConnectorError(
        'CONNECTOR_ERR_OFFSETS_FILE',
        `${this.file} is not a valid offsets file (${(err as Error).message}); delete it to re-snapshot`,
      );
    }
  }

  async write(server: string, position: BinlogPosition, snapshotCompleted: boolean): Promise<void> {
    const body: StoredOffsets = {
      partition: { server },
      offset: {
        file: position.file,
        pos: position.pos,
        ...(position.gtids ? { gtids: position.gtids } : {}),
        ts_sec: Math.floor(Date.now() / 1000),
        snapshot_completed: snapshotCompleted,
      },
    };
    const dir = path.dirname(this.file);
    await fs.mkdir(dir, { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const handle = await fs.open(tmp, 'w');
    try {
      await handle.writeFile(`${JSON.stringify(body, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, this.file);
    const dirHandle = await fs.open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
