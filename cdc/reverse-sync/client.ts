import { ReverseSyncError } from './errors.ts';

/**
 * The two HTTP sides of a write move, typed for whoever drives it (`strangler move-writes`):
 *
 * - the service's write ownership (`GET`/`PUT /writes/ownership` on the catalog service): while
 *   the service owns a legacy table, its forward projection does not apply that table's changes
 *   (its own writes come back from legacy as tagged echoes and are dropped; an untagged change is
 *   a second writer and raises the alarm);
 * - the reverse applier (`GET /status`, `POST /reverse/enable`, `POST /reverse/disable`), which
 *   applies the service's store changes to the legacy tables.
 *
 * Positions are source-position labels (`mariadb-bin.000003:2731[:row]`, contract/source-position.ts).
 */

/** `GET /writes/ownership` on the service. */
export interface WriteOwnership {
  /** Legacy tables the service owns: forward apply is off for them. */
  owned: string[];
  /** When the current set was put (ISO time); null when the service owns nothing. */
  since: string | null;
  /** Changes to owned tables that did not come from the reverse applier, per legacy table. */
  secondWriters: Record<string, SecondWriterAlarm>;
}

/** A writer other than the reverse applier changed a table the service owns. */
export interface SecondWriterAlarm {
  /** Row changes seen since the table became owned. */
  changes: number;
  /** Binlog time of the last one (ISO). */
  lastAt: string;
  /** `POST /orders` for a monolith route, `untagged` for a statement without the tag, `unknown` without a statement. */
  lastWriter: string;
  /** The statement of the last one (cut to 1000 characters), null when the event carried none. */
  lastStatement: string | null;
  /** Its source position label. */
  lastPosition: string | null;
}

/** One legacy table in the reverse applier's `GET /status`. */
export interface ReverseTableStatus {
  /** The route whose writes moved (the reverse applier serves one route's tables). */
  route: string;
  enabled: boolean;
  /** When it was last enabled (ISO), null when never. */
  enabledAt: string | null;
  /**
   * How far the store's binlog is reflected in legacy for this table: every store change up to
   * here is applied (or, when disabled, passed over). Null before the first event or check.
   */
  appliedPosition: string | null;
  /** The store server's binlog end when this status was asked. */
  headPosition: string | null;
  /** Store commit → now for the oldest change not yet applied; 0 when caught up; null when unknown. */
  lagMs: number | null;
  /** appliedPosition ≥ headPosition. */
  caughtUp: boolean;
  /** Row changes to this table by another writer while owned (from the service); null when the service did not answer. */
  secondWriters: number | null;
  /** Legacy rows written (upserted or deleted) by the reverse applier for this table, ever. */
  appliedRows: number;
}

/** `GET /status` of the reverse applier. */
export interface ReverseStatus {
  status: 'ok' | 'degraded';
  route: string;
  /** Per legacy table the reverse mapping writes. */
  tables: Record<string, ReverseTableStatus>;
  appliedPosition: string | null;
  headPosition: string | null;
  /** Every table caught up (enabled or not: a disabled table passes store changes over). */
  caughtUp: boolean;
  counters: {
    /** Store change events consumed since start (applied, or passed over: snapshot reads, disabled tables, older than the row's applied position). */
    events: number;
    /** Events dead-lettered since start, by error code (REVERSE_ERR_*, CDC_ERR_*). */
    deadLetteredByReason: Record<string, number>;
  };
  /** Second writers on owned tables, from the service; a string when the service could not be asked. */
  secondWriters: Record<string, SecondWriterAlarm> | string;
  lastError: string | null;
}

export interface ClientOptions {
  /** Per request; default 10 s. */
  timeoutMs?: number;
}

async function call<T>(
  base: string,
  method: 'GET' | 'PUT' | 'POST',
  path: string,
  body: unknown,
  options: ClientOptions,
): Promise<T> {
  const url = `${base.replace(/\/+$/, '')}${path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (err) {
    throw new ReverseSyncError('REVERSE_ERR_REMOTE', `${method} ${url}: ${(err as Error).message}`, {
      status: 503,
      retriable: true,
      cause: err,
      context: { url, method },
    });
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ReverseSyncError(
      'REVERSE_ERR_REMOTE',
      `${method} ${url} answered ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`,
      { status: 502, context: { url, method, httpStatus: res.status } },
    );
  }
  if (!res.ok) {
    const error = (parsed as { error?: { code?: string; message?: string } })?.error;
    throw new ReverseSyncError(
      'REVERSE_ERR_REMOTE',
      `${method} ${url} answered ${res.status}: ${error?.code ?? 'no code'}: ${error?.message ?? text.slice(0, 200)}`,
      {
        status: res.status,
        retriable: res.status >= 500,
        context: { url, method, httpStatus: res.status, remoteCode: error?.code },
      },
    );
  }
  return parsed as T;
}

/** The service's write ownership (the catalog service's base URL, e.g. http://127.0.0.1:3101). */
export function ownershipClient(serviceUrl: string, options: ClientOptions = {}) {
  return {
    get: () => call<WriteOwnership>(serviceUrl, 'GET', '/writes/ownership', undefined, options),
    /** Sets the owned tables; `[]` turns forward apply back on for every table. */
    set: (owned: string[]) =>
      call<WriteOwnership>(serviceUrl, 'PUT', '/writes/ownership', { owned }, options),
  };
}

/** The reverse applier (its base URL, e.g. http://127.0.0.1:8086). */
export function reverseSyncClient(applierUrl: string, options: ClientOptions = {}) {
  const status = () => call<ReverseStatus>(applierUrl, 'GET', '/status', undefined, options);
  return {
    status,
    /** Starts applying the store's changes to these legacy tables, from the store's binlog end now. */
    enable: (tables: string[]) =>
      call<ReverseStatus>(applierUrl, 'POST', '/reverse/enable', { tables }, options),
    /** Stops applying them (store changes are passed over from here on). */
    disable: (tables: string[]) =>
      call<ReverseStatus>(applierUrl, 'POST', '/reverse/disable', { tables }, options),
    /**
     * Polls until every named table's applied position reaches the store's binlog end as it was
     * when asked (each poll asks anew); resolves with that status, rejects with the last status
     * in the error's context after `timeoutMs`.
     */
    async waitCaughtUp(tables: string[], wait: { timeoutMs?: number; pollMs?: number } = {}) {
      const deadline = Date.now() + (wait.timeoutMs ?? 30_000);
      for (;;) {
        const s = await status();
        const behind = tables.filter((t) => !s.tables[t]?.caughtUp);
        if (behind.length === 0) return s;
        if (Date.now() >= deadline)
          throw new ReverseSyncError(
            'REVERSE_ERR_REMOTE',
            `reverse sync did not catch up on ${behind.join(', ')} within ${wait.timeoutMs ?? 30_000} ms`,
            { status: 504, retriable: true, context: { status: s, behind } },
          );
        await new Promise((r) => setTimeout(r, wait.pollMs ?? 200));
      }
    },
  };
}

export type OwnershipClient = ReturnType<typeof ownershipClient>;
export type ReverseSyncClient = ReturnType<typeof reverseSyncClient>;
