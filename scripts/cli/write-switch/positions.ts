import mysql from 'mysql2/promise';
import { compareSourcePositions, parseSourcePosition } from '../../../contract/index.ts';
import { SwitchError } from './errors.ts';
import { expectOk } from './http.ts';

/**
 * Where the write switch reads how far each side has come: legacy's binlog end, the connector's
 * acknowledged position, the service's consumer offsets. Positions are in the contract's form
 * (`binlog.000003:1234`, contract/source-position.ts) and ordered by it.
 */

/** `SHOW MASTER STATUS` on the legacy database: the end of the last event written. */
export async function legacyBinlogEnd(mysqlUrl: string): Promise<string> {
  let conn: mysql.Connection;
  try {
    conn = await mysql.createConnection({ uri: mysqlUrl, connectTimeout: 3000 });
  } catch (cause) {
    throw new SwitchError(
      'SWITCH_ERR_UNREACHABLE',
      `the legacy database does not answer: ${(cause as Error).message}`,
      { cause },
    );
  }
  try {
    const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
    const row = rows[0];
    if (!row)
      throw new SwitchError(
        'SWITCH_ERR_BAD_ANSWER',
        'the legacy database answers SHOW MASTER STATUS with no row: its binlog is off',
      );
    return `${row.File}:${row.Position}`;
  } finally {
    await conn.end().catch(() => {});
  }
}

/** A position as the parts write it: "file:pos", or {file, pos}; null when there is none yet. */
export function positionText(value: unknown): string | null {
  if (typeof value === 'string') return value === '' || value === 'none' ? null : value;
  const v = value as { file?: unknown; pos?: unknown } | null | undefined;
  if (v && typeof v.file === 'string' && typeof v.pos === 'number') return `${v.file}:${v.pos}`;
  return null;
}

/** Whether `a` is at or past `b`; undefined when the two cannot be ordered. */
export function reached(a: string | null, b: string): boolean | undefined {
  if (a === null) return false;
  const pa = parseSourcePosition(a);
  const pb = parseSourcePosition(b);
  if (!pa || !pb) return undefined;
  const order = compareSourcePositions(pa, pb);
  return order === undefined ? undefined : order >= 0;
}

/** The connector's last position Kafka acknowledged (GET /status `position`). */
export async function connectorPosition(connectorUrl: string, timeoutMs = 2000): Promise<string | null> {
  const body = (await expectOk('the connector', `${connectorUrl}/status`, { timeoutMs })) as {
    position?: unknown;
  };
  return positionText(body?.position);
}

/** Per topic partition of the service's projection: the next offset it will apply, and the end. */
export interface PartitionProgress {
  key: string;
  nextOffset: number;
  highWatermark: number;
}

/** The service's GET /health projection (extracted/service-kit): where each partition stands. */
export async function serviceProgress(serviceUrl: string, timeoutMs = 4000): Promise<PartitionProgress[]> {
  const body = (await expectOk('the service', `${serviceUrl}/health`, { timeoutMs })) as {
    projection?: {
      error?: string;
      topics?: { topic: string; partition: number; nextOffset: unknown; highWatermark: unknown }[];
    };
  };
  const projection = body?.projection;
  if (!projection || projection.error || !Array.isArray(projection.topics))
    throw new SwitchError(
      'SWITCH_ERR_BAD_ANSWER',
      `the service at ${serviceUrl} cannot say how far its projection is: ${projection?.error ?? 'no projection.topics in GET /health'}`,
    );
  return projection.topics.map((t) => ({
    key: `${t.topic}/${t.partition}`,
    nextOffset: Number(t.nextOffset ?? 0),
    highWatermark: Number(t.highWatermark ?? 0),
  }));
}
