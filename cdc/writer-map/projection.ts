import type { ChangeEvent, Projection } from '../consumer/index.ts';
import { highWaters, type Observation, recordObservations, saveHighWaters } from './store.ts';
import { writerOf } from './writer-of.ts';

/**
 * The projection that keeps the writer map: every streamed change of the watched tables is
 * counted for the writer its statement names (writer-of.ts). It reads nothing but `source`, so
 * it takes our connector's events and a real Debezium's alike, with or without schemas.
 *
 * The runner applies a batch and its offsets in one store transaction, so a restart of the
 * writer map counts nothing twice. The connector re-sends after a crash (at-least-once): an
 * event at or before the newest binlog position already counted on its partition is dropped.
 */
export function writerMapProjection(topics: string[]): Projection {
  return {
    name: 'writer-map',
    topics,
    async handleBatch(events: ChangeEvent[], trx) {
      const marks = await highWaters(trx, [...new Set(events.map((e) => e.topic))]);
      const observations: Observation[] = [];
      for (const event of events) {
        const mark = `${event.topic}/${event.partition}`;
        if (event.positionKey !== null) {
          const seen = marks.get(mark);
          if (seen !== undefined && event.positionKey <= seen) continue;
        }
        const write = writerOf(event.source);
        if (!write) continue;
        if (event.positionKey !== null) marks.set(mark, event.positionKey);
        const ts = Number(event.source?.ts_ms);
        observations.push({
          ...write,
          db: event.db ?? '',
          table: event.table,
          atMs: Number.isFinite(ts) && ts > 0 ? ts : Date.now(),
        });
      }
      await recordObservations(trx, observations);
      await saveHighWaters(trx, marks);
    },
  };
}
