import crypto from 'node:crypto';

/**
 * The tag the monolith puts on every SQL statement it sends, so that whoever reads the binlog
 * (with MariaDB's annotate-rows events, Debezium's `source.query`) knows which HTTP route wrote
 * a row. The format is the sqlcommenter convention: `key='value'` pairs, keys sorted, values
 * URL-encoded, inside one comment. Knex places a builder's comment before the statement:
 *
 *   /* route='POST%20%2Fproducts',traceparent='00-4bf9…-00f0…-01' *\/ insert into `products` …
 *
 * `route` is the request's method and route pattern (never the concrete path: one writer per
 * route, not per product id); `traceparent` is the request's W3C trace context. Values are
 * encoded so that none can hold a quote, a `?` (which the driver would take for a placeholder)
 * or a comment's end.
 */
export interface SqlTag {
  /** `METHOD /route/:pattern`, e.g. `POST /products`. */
  route: string;
  /** W3C traceparent of the request, e.g. `00-<32 hex>-<16 hex>-01`. */
  traceparent: string;
}

/** Keys the tag carries, in the sorted order sqlcommenter asks for. */
const tagKeys = ['route', 'traceparent'] as const;

/** encodeURIComponent leaves ' ( ) * ! ~ alone; the tag must not carry a quote or a `*`. */
function encodeValue(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*~]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

/** The comment's text without its delimiters (what knex's `.comment()` takes). */
export function formatSqlTag(tag: SqlTag): string {
  return tagKeys.map((key) => `${key}='${encodeValue(tag[key])}'`).join(',');
}

const pairPattern = /([A-Za-z_][A-Za-z0-9_.-]*)='([^']*)'/g;
const commentPattern = /\/\*([^*]*(?:\*(?!\/)[^*]*)*)\*\//g;

/**
 * The tag a statement carries, from the first comment holding a `route` key; undefined for a
 * statement without one (a batch job, a console, a migration). Anything undecodable counts as
 * no tag: a stranger's comment must not name a route.
 */
export function parseSqlTag(sql: string): Partial<SqlTag> | undefined {
  for (const [, body] of sql.matchAll(commentPattern)) {
    const pairs = new Map<string, string>();
    for (const [, key, value] of (body ?? '').matchAll(pairPattern)) {
      try {
        pairs.set(key!, decodeURIComponent(value!));
      } catch {
        return undefined;
      }
    }
    const route = pairs.get('route');
    if (route === undefined || route === '') continue;
    const traceparent = pairs.get('traceparent');
    return traceparent !== undefined && isTraceparent(traceparent) ? { route, traceparent } : { route };
  }
  return undefined;
}

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** A version-00 traceparent whose trace and parent ids are not all zeros (W3C Trace Context). */
export function isTraceparent(value: string): boolean {
  const m = traceparentPattern.exec(value);
  return m !== null && !/^0+$/.test(m[1]!) && !/^0+$/.test(m[2]!);
}

/**
 * The traceparent of a request handled here: the caller's trace id and flags when it sent a
 * valid `traceparent`, with a new span id for this hop; a new trace (sampled) otherwise.
 */
export function continueTraceparent(incoming: string | undefined): string {
  const span = crypto.randomBytes(8).toString('hex');
  const m = incoming === undefined ? null : traceparentPattern.exec(incoming.trim().toLowerCase());
  if (m && isTraceparent(m[0])) return `00-${m[1]}-${span}-${m[3]}`;
  return `00-${crypto.randomBytes(16).toString('hex')}-${span}-01`;
}

/**
 * The origin tag: a statement written by one of the toolkit's own sync paths says so, in the same
 * sqlcommenter form, so whoever reads the binlog can tell an echo from a real writer:
 *
 *   /* strangler_origin='reverse-sync' *\/ insert into `shop`.`products` …
 *
 * The reverse applier puts it on every statement it sends to legacy; the service's forward
 * projection drops the changes that carry it (they are its own writes coming back), and a change
 * to a table the service owns that does not carry it is a second writer.
 */
export const syncOrigins = { reverseSync: 'reverse-sync' } as const;
export type SyncOrigin = (typeof syncOrigins)[keyof typeof syncOrigins];

/** The comment's text without its delimiters (what knex's `.comment()` takes). */
export function formatOriginTag(origin: SyncOrigin): string {
  return `strangler_origin='${encodeValue(origin)}'`;
}

/** The origin a statement's first tagged comment names, undefined when none does. */
export function parseOriginTag(sql: string): string | undefined {
  for (const [, body] of sql.matchAll(commentPattern)) {
    for (const [, key, value] of (body ?? '').matchAll(pairPattern)) {
      if (key !== 'strangler_origin') continue;
      try {
        const origin = decodeURIComponent(value!);
        if (origin !== '') return origin;
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
