import type { Knex } from 'knex';
import { type ComponentProcess, startComponent } from '../../lib/component-process.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { freePort } from '../../lib/net.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

export interface MonolithUnderTest {
  db: TestDatabase;
  /** A knex on the same database, for arranging rows and checking what the API wrote. */
  knex: Knex;
  proc: ComponentProcess;
  base: string;
  stop(): Promise<void>;
}

/** A fresh database and the monolith as a real separate process (main.ts) serving it. */
export async function startMonolithProcess(prefix = 'shop'): Promise<MonolithUnderTest> {
  const db = await createTestDatabase(prefix);
  const port = await freePort();
  const proc = await startComponent({
    name: 'legacy-monolith',
    script: 'legacy-monolith/main.ts',
    env: { MYSQL_URL: db.serverUrl, SHOP_DB: db.name, MONOLITH_PORT: String(port), LOG_LEVEL: 'warn' },
    readyUrl: `http://127.0.0.1:${port}/health`,
    readyTimeoutMs: 45_000,
  });
  const knex = createMysqlKnex(db.serverUrl, db.name, { min: 0, max: 4 });
  return {
    db,
    knex,
    proc,
    base: `http://127.0.0.1:${port}`,
    async stop() {
      await proc.stop('SIGTERM');
      await knex.destroy();
      await db.drop();
    },
  };
}

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: replies are checked field by field in the tests
  body: any;
  text: string;
  contentType: string | null;
}

/** One HTTP call; `body` objects are sent as JSON, strings as they are (for malformed input). */
export async function call(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Reply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const res = await fetch(base + path, init);
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text, contentType: res.headers.get('content-type') };
}

/** Asserts the error shape of the contract and returns the code, for expect(...).toBe(...). */
export function errorOf(reply: Reply): { status: number; code: string; message: string } {
  const error = reply.body?.error;
  if (!error || typeof error.code !== 'string' || typeof error.message !== 'string') {
    throw new Error(`not a JSON error reply (${reply.status}): ${reply.text.slice(0, 300)}`);
  }
  if (/\bat .*\.ts:\d+/.test(reply.text)) throw new Error(`reply leaks a stack trace: ${reply.text}`);
  return { status: reply.status, code: error.code, message: error.message };
}

export const isoMillis = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
