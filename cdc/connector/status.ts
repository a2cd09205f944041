import http from 'node:http';
import type { Registry } from 'prom-client';
import type { BinlogPosition } from './offsets.ts';

export type ConnectorState = 'starting' | 'snapshot' | 'streaming' | 'halted' | 'stopping' | 'failed';

/**
 * Why the connector halted (state `halted`): what it met, where, and what to do. It stays up
 * with this on /health and /status; the stored offset stays before the event (`resumeFrom`).
 */
export interface ConnectorAlarm {
  code: string;
  message: string;
  /** `<db>.<table>` */
  table?: string;
  column?: string;
  /** The column type as the server names it (COLUMN_TYPE). */
  type?: string;
  /** Where the event that met the column starts (the binlog), or the snapshot's position. */
  position?: BinlogPosition | null;
  /** The stored offset a restart resumes from. */
  resumeFrom?: BinlogPosition | null;
  since: string;
}

/**
 * What the connector knows about itself, served on GET /status. Events/s is measured over a
 * sliding window of acknowledged events; lag is how far behind the last event read is
 * (now − its source time) while the reader is behind the server's binlog end, else 0.
 */
export class ConnectorStatus {
  state: ConnectorState = 'starting';
  connector: 'mariadb' | 'mysql' = 'mariadb';
  /** Last position whose events Kafka acknowledged (what a restart resumes from). */
  position: BinlogPosition | null = null;
  /** Last event read from the binlog (it may still be in flight to Kafka). */
  readPosition: BinlogPosition | null = null;
  lastEventTsMs: number | null = null;
  eventsTotal = 0;
  snapshot = { running: false, table: null as string | null, rowsDone: 0, rowsTotal: 0, completed: false };
  error: string | undefined;
  alarm: ConnectorAlarm | undefined;
  private readonly window: { at: number; count: number }[] = [];

  recordAcked(count: number, now = Date.now()): void {
    this.eventsTotal += count;
    const last = this.window[this.window.length - 1];
    const second = Math.floor(now / 1000);
    if (last && last.at === second) last.count += count;
    else this.window.push({ at: second, count });
    while (this.window.length > 0 && (this.window[0]?.at ?? 0) < second - 10) this.window.shift();
  }

  eventsPerSecond(now = Date.now()): number {
    const second = Math.floor(now / 1000);
    // Whole seconds only: the current one is still filling.
    const counted = this.window.filter((w) => w.at < second && w.at >= second - 5);
    return counted.reduce((n, w) => n + w.count, 0) / 5;
  }

  toJSON(serverEnd: BinlogPosition | null, queued: number, producerError: string | undefined) {
    const behind =
      serverEnd !== null &&
      (this.readPosition === null || comparePositions(this.readPosition, serverEnd) < 0 || queued > 0);
    return {
      state: this.state,
      connector: this.connector,
      position: this.position,
      readPosition: this.readPosition,
      serverPosition: serverEnd,
      snapshot: this.snapshot,
      eventsTotal: this.eventsTotal,
      eventsPerSecond: this.eventsPerSecond(),
      queued,
      lastEventTsMs: this.lastEventTsMs,
      lagMs: behind && this.lastEventTsMs !== null ? Math.max(0, Date.now() - this.lastEventTsMs) : 0,
      ...(this.error ? { error: this.error } : {}),
      ...(this.alarm ? { alarm: this.alarm } : {}),
      ...(producerError ? { producerError } : {}),
    };
  }
}

/** Orders binlog positions by file number, then offset. */
export function comparePositions(a: BinlogPosition, b: BinlogPosition): number {
  const fa = Number(a.file.slice(a.file.lastIndexOf('.') + 1));
  const fb = Number(b.file.slice(b.file.lastIndexOf('.') + 1));
  return fa !== fb ? fa - fb : a.pos - b.pos;
}

/**
 * /health and /status (JSON) on the connector's port: 200 while it works; 503 when it failed or
 * halted, /health then naming the state and the alarm (`{status: 'halted', alarm: {…}}`).
 * /metrics: Prometheus text (metrics.ts). /ready: 200 once the process serves, halted included (it is up, holding its alarm for an
 * operator; a supervisor that restarted it would only meet the same row again); 503 when failed.
 */
export function startStatusServer(
  host: string,
  port: number,
  body: () => Promise<{ failed: boolean; status: unknown; state?: ConnectorState; alarm?: ConnectorAlarm }>,
  metrics?: Registry,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    if (req.method === 'GET' && url === '/metrics' && metrics) {
      metrics.metrics().then(
        (text) => res.writeHead(200, { 'content-type': metrics.contentType }).end(text),
        (err: Error) =>
          res
            .writeHead(500, { 'content-type': 'application/json' })
            .end(JSON.stringify({ error: err.message })),
      );
      return;
    }
    if (req.method !== 'GET' || (url !== '/health' && url !== '/status' && url !== '/ready')) {
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"error":"GET /health, /status, /ready or /metrics"}');
      return;
    }
    body().then(
      ({ failed, status, state, alarm }) => {
        const health = state === 'halted' ? 'halted' : failed ? 'failed' : 'ok';
        const payload =
          url === '/status' ? status : { status: health, ...(url === '/health' && alarm ? { alarm } : {}) };
        const ok = url === '/ready' ? health !== 'failed' : !failed;
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(payload));
      },
      (err: Error) => {
        res
          .writeHead(500, { 'content-type': 'application/json' })
          .end(JSON.stringify({ error: err.message }));
      },
    );
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve(server));
  });
}
