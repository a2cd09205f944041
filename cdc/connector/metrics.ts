import { Counter, Gauge, Registry } from 'prom-client';
import type { ConnectorState, ConnectorStatus } from './status.ts';

/** What one scrape reads: the connector's /status body. */
export type StatusSnapshot = ReturnType<ConnectorStatus['toJSON']>;

const states: ConnectorState[] = ['starting', 'snapshot', 'streaming', 'halted', 'stopping', 'failed'];

/**
 * The connector's Prometheus metrics (GET /metrics on its status port), read from the same
 * snapshot /status serves, taken once per scrape: events published, events/s, lag, the binlog
 * positions (acknowledged, read, the server's end), queued events, snapshot progress, state.
 */
export function connectorRegistry(snapshot: () => Promise<StatusSnapshot>): Registry {
  const registry = new Registry();
  // prom-client collects a scrape's metrics concurrently: they share one snapshot
  let taken: { at: number; value: Promise<StatusSnapshot> } | undefined;
  const read = (): Promise<StatusSnapshot> => {
    const now = Date.now();
    if (!taken || now - taken.at > 100) taken = { at: now, value: snapshot() };
    return taken.value;
  };
  new Counter({
    name: 'strangler_connector_events_total',
    help: 'Change events Kafka acknowledged since the connector started',
    registers: [registry],
    async collect() {
      const s = await read();
      this.reset();
      this.inc(s.eventsTotal);
    },
  });
  const gauge = (name: string, help: string, pick: (s: StatusSnapshot) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const value = pick(await read());
        this.reset();
        if (value !== null) this.set(value);
      },
    });
  gauge(
    'strangler_connector_events_per_second',
    'Events acknowledged per second over the last 5 s',
    (s) => s.eventsPerSecond,
  );
  gauge(
    'strangler_connector_lag_seconds',
    'How far behind the last event read is while the reader is behind the binlog end (0 when caught up)',
    (s) => s.lagMs / 1000,
  );
  gauge(
    'strangler_connector_queued_events',
    'Events read and not yet acknowledged by Kafka',
    (s) => s.queued,
  );
  gauge(
    'strangler_connector_snapshot_rows_done',
    'Rows the current or last snapshot has sent',
    (s) => s.snapshot.rowsDone,
  );
  gauge(
    'strangler_connector_snapshot_rows_total',
    'Rows the current or last snapshot will send',
    (s) => s.snapshot.rowsTotal,
  );
  new Gauge({
    name: 'strangler_connector_binlog_position',
    help: 'Binlog positions: acknowledged (what a restart resumes from), read, and the server end; label file, value the offset in it',
    labelNames: ['which', 'file'],
    registers: [registry],
    async collect() {
      const s = await read();
      this.reset();
      for (const [which, p] of [
        ['acknowledged', s.position],
        ['read', s.readPosition],
        ['server', s.serverPosition],
      ] as const)
        if (p) this.set({ which, file: p.file }, p.pos);
    },
  });
  new Gauge({
    name: 'strangler_connector_state',
    help: 'The connector state: 1 for the current one',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const s = await read();
      this.reset();
      for (const state of states) this.set({ state }, s.state === state ? 1 : 0);
    },
  });
  return registry;
}
