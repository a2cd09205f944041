import type { Knex } from 'knex';
import { compareSourcePositions, formatSourcePosition, parseSourcePosition } from '../../contract/index.ts';
import { fetchText } from '../cli/fetch-text.ts';

/**
 * Where each side stands, for "caught up": legacy's binlog end, the connector's acknowledged
 * position (what Kafka holds), and how many events a service has not applied yet.
 */
export type Position = { file: string; pos: number };

/** The legacy server's binlog end: everything committed so far lies before it. */
export async function legacyPosition(shop: Knex): Promise<Position> {
  const [rows] = (await shop.raw('SHOW MASTER STATUS')) as [{ File: string; Position: number }[]];
  const row = rows[0];
  if (!row) throw new Error('SHOW MASTER STATUS answered nothing: is the binlog on?');
  return { file: row.File, pos: Number(row.Position) };
}

/** True when `a` is at or past `b`. */
export function atOrPast(a: Position, b: Position): boolean {
  const pa = parseSourcePosition(formatSourcePosition({ ...a, row: 0 }));
  const pb = parseSourcePosition(formatSourcePosition({ ...b, row: 0 }));
  return pa !== undefined && pb !== undefined && (compareSourcePositions(pa, pb) ?? -1) >= 0;
}

async function getJson(url: string): Promise<unknown> {
  const res = await fetchText(url, { timeoutMs: 2000 });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}`);
  return JSON.parse(res.text);
}

/** The connector's last position Kafka acknowledged; undefined while it is down or has none. */
export async function connectorPosition(connector: string): Promise<Position | undefined> {
  try {
    const status = (await getJson(`${connector}/status`)) as { position?: Position | null };
    return status.position ?? undefined;
  } catch {
    return undefined;
  }
}

/**
 * Whether a service has applied every event up to `target` that Kafka holds: each partition it
 * reads has either nothing left to apply, or has applied an event at or past `target` (a
 * partition is in binlog order, so all before it is applied). Under steady writes a partition is
 * rarely empty at the moment of asking, which is why "past the target" counts too.
 * False while the service (or Kafka) does not answer.
 */
export async function serviceCaughtUp(service: string, target: Position): Promise<boolean> {
  try {
    const health = (await getJson(`${service}/health`)) as {
      projection?: { error?: string; topics?: { eventsBehind?: number; sourcePosition?: string | null }[] };
    };
    const topics = health.projection?.topics;
    if (health.projection?.error || !Array.isArray(topics) || topics.length === 0) return false;
    const goal = parseSourcePosition(formatSourcePosition({ ...target, row: 0 }))!;
    return topics.every((t) => {
      if (t.eventsBehind === 0) return true;
      const at = parseSourcePosition(t.sourcePosition ?? undefined);
      return at !== undefined && (compareSourcePositions(at, goal) ?? -1) >= 0;
    });
  } catch {
    return false;
  }
}

/**
 * Whether the services have applied everything legacy had committed at `target`: first the
 * connector has put it all into Kafka (its acknowledged position is at or past `target`), then
 * each service has applied it (serviceCaughtUp). Asked in that order, the services' answers
 * cover every event up to `target`.
 */
export async function caughtUp(
  urls: { connector: string },
  services: string[],
  target: Position,
): Promise<boolean> {
  const at = await connectorPosition(urls.connector);
  if (!at || !atOrPast(at, target)) return false;
  for (const s of services) if (!(await serviceCaughtUp(s, target))) return false;
  return true;
}
