import { spawnSync } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ComponentProcess, repoRoot, startComponent } from '../../lib/component-process.ts';
import { createMysqlKnex } from '../../lib/knex-mysql.ts';
import { freePort } from '../../lib/net.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';

/**
 * A client that trickles its request head a byte at a time must not hold a connection of the
 * monolith or a service for node's default 60 s (checked every 30 s): like the proxy, each
 * answers 408 and closes once the configured head timeout is over. Both run as real processes
 * on a real MariaDB; the service's Kafka is unreachable (it serves its store without it).
 */
const headersTimeoutMs = 1000;
const requestTimeoutMs = 1500;

interface Trickled {
  /** ms from the first byte until the server closed the connection. */
  closedAfterMs: number;
  answer: string;
  bytesSent: number;
}

/** Sends a request head one byte every 100 ms, never finishing it, until the server closes. */
function trickle(port: number, giveUpMs = 15_000): Promise<Trickled> {
  const head = `GET /health HTTP/1.1\r\nHost: x\r\n${'X-Slow: a\r\n'.repeat(500)}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let answer = '';
    let sent = 0;
    let started = 0;
    let timer: NodeJS.Timeout | undefined;
    socket.on('connect', () => {
      started = performance.now();
      timer = setInterval(() => {
        if (sent < head.length - 4) socket.write(head[sent++]!);
      }, 100);
    });
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(guard);
      resolve({ closedAfterMs: performance.now() - started, answer, bytesSent: sent });
    });
    const guard = setTimeout(() => {
      clearInterval(timer);
      socket.destroy();
      reject(new Error(`the server still held the trickling connection after ${giveUpMs} ms`));
    }, giveUpMs);
  });
}

function expectCutInTime(result: Trickled): void {
  expect(result.answer).toMatch(/^HTTP\/1\.1 408 /);
  expect(result.bytesSent).toBeGreaterThan(3); // the head really was trickling
  // the bound plus node's check interval (a quarter of it, lib/http-server.ts) and slack for a loaded machine
  expect(result.closedAfterMs).toBeGreaterThanOrEqual(headersTimeoutMs - 50);
  expect(result.closedAfterMs).toBeLessThan(headersTimeoutMs + 250 + 1500);
}

describe('a request head trickled byte by byte', () => {
  let db: TestDatabase;
  const procs: ComponentProcess[] = [];
  let monolithPort: number;
  let catalogPort: number;

  beforeAll(async () => {
    db = await createTestDatabase('trickle');
    monolithPort = await freePort();
    catalogPort = await freePort();
    const deadKafka = await freePort();
    const timeouts = (prefix: string) => ({
      [`${prefix}_HEADERS_TIMEOUT_MS`]: String(headersTimeoutMs),
      [`${prefix}_REQUEST_TIMEOUT_MS`]: String(requestTimeoutMs),
    });
    const started = await Promise.allSettled([
      startComponent({
        name: 'legacy-monolith',
        script: 'legacy-monolith/main.ts',
        env: {
          MYSQL_URL: db.serverUrl,
          SHOP_DB: db.name,
          MONOLITH_PORT: String(monolithPort),
          LOG_LEVEL: 'warn',
          ...timeouts('MONOLITH'),
        },
        readyUrl: `http://127.0.0.1:${monolithPort}/health`,
        readyTimeoutMs: 45_000,
      }),
      startComponent({
        name: 'catalog',
        script: 'extracted/catalog/main.ts',
        env: {
          MYSQL_URL: db.serverUrl,
          CATALOG_DB: `${db.name}_cat`,
          CATALOG_PORT: String(catalogPort),
          KAFKA_BROKERS: `127.0.0.1:${deadKafka}`,
          LOG_LEVEL: 'info',
          ...timeouts('CATALOG'),
        },
        readyLine: 'catalog service ready',
        readyTimeoutMs: 45_000,
      }),
    ]);
    for (const s of started) if (s.status === 'fulfilled') procs.push(s.value);
    for (const s of started) if (s.status === 'rejected') throw s.reason;
  });
  afterAll(async () => {
    await Promise.allSettled(procs.map((p) => p.stop('SIGKILL')));
    if (db) {
      const admin = createMysqlKnex(db.serverUrl, '', { min: 0, max: 1 });
      await admin.raw(`DROP DATABASE IF EXISTS \`${db.name}_cat\``);
      await admin.destroy();
      await db.drop();
    }
  });

  it('the monolith answers 408 and closes within its MONOLITH_HEADERS_TIMEOUT_MS', async () => {
    expectCutInTime(await trickle(monolithPort));
  });

  it('a service answers 408 and closes within its CATALOG_HEADERS_TIMEOUT_MS', async () => {
    expectCutInTime(await trickle(catalogPort));
  });

  it('both still serve a normal request', async () => {
    const shop = await fetch(`http://127.0.0.1:${monolithPort}/products`);
    expect(shop.status).toBe(200);
    await shop.text();
  });
});

describe('header and request timeouts are validated at start', () => {
  function run(script: string, env: Record<string, string>) {
    return spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), script], {
      cwd: repoRoot,
      env: { ...process.env, ...env },
      encoding: 'utf8',
      timeout: 30_000,
    });
  }

  it.each([
    ['legacy-monolith/main.ts', 'MONOLITH'],
    ['extracted/catalog/main.ts', 'CATALOG'],
    ['extracted/orders/main.ts', 'ORDERS'],
  ])('%s refuses a head timeout that is not a number of ms, naming the variable', (script, prefix) => {
    const result = run(script, { [`${prefix}_HEADERS_TIMEOUT_MS`]: 'soon' });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${prefix}_HEADERS_TIMEOUT_MS`);
  });

  it.each([
    ['legacy-monolith/main.ts', 'MONOLITH'],
    ['extracted/orders/main.ts', 'ORDERS'],
  ])('%s refuses a request timeout shorter than the head timeout, naming both', (script, prefix) => {
    const result = run(script, {
      [`${prefix}_HEADERS_TIMEOUT_MS`]: '5000',
      [`${prefix}_REQUEST_TIMEOUT_MS`]: '2000',
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${prefix}_REQUEST_TIMEOUT_MS=2000`);
    expect(result.stderr).toContain(`${prefix}_HEADERS_TIMEOUT_MS=5000`);
  });
});
