import fs from 'node:fs/promises';
import path from 'node:path';
import type mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { startComponent } from '../../lib/component-process.ts';
import { waitFor } from '../../lib/net.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  Collector,
  type ConnectorRun,
  connect,
  connectorEnv,
  connectorScript,
  envelope,
  type JsonObject,
  keyOf,
  keyPayload,
  lastImages,
  masterStatus,
  randomPrefix,
  runUntilExit,
  startConnector,
  tempDir,
  waitStreaming,
} from './support.ts';

/**
 * A column the connector must not encode, met while streaming. The honest case on MariaDB 10.11
 * (VECTOR needs 11.7+) is a type the deployment declares unsupported: CONNECTOR_UNSUPPORTED_TYPES
 * =point goes through the very policy a type without a mapping does. `fail` (the default) must
 * halt at the first event of the table's new shape and stay up, saying why on /health and
 * /status, its stored offset before that event; a restart with `skip` must resume from that
 * offset and lose no row; `column.exclude.list` must leave the column out without any alarm.
 */

interface Health {
  status: string;
  alarm?: {
    code: string;
    message: string;
    table: string;
    column: string;
    type: string;
    position: { file: string; pos: number } | null;
    resumeFrom: { file: string; pos: number } | null;
  };
}

async function health(run: ConnectorRun): Promise<{ code: number; body: Health }> {
  const res = await fetch(`http://127.0.0.1:${run.port}/health`);
  return { code: res.status, body: (await res.json()) as Health };
}

const fileNo = (f: string) => Number(/(\d+)$/.exec(f)?.[1] ?? -1);
const order = (a: { file: string; pos: number }, b: { file: string; pos: number }) =>
  fileNo(a.file) - fileNo(b.file) || a.pos - b.pos;

let db: TestDatabase;
let broker: TestBroker;
let conn: mysql.Connection;
let collector: Collector;
let offsetsDir: string;
let run: ConnectorRun | undefined;
const P = randomPrefix('uc');
const X = randomPrefix('ux');
const Y = randomPrefix('uy');
const topicOf = (prefix: string) => `${prefix}.${db.name}.items`;

/** What the table holds now, as the connector's `after` images should say (loc never included). */
async function tableRows(): Promise<Map<string, JsonObject>> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SELECT id, name FROM items ORDER BY id');
  return new Map(rows.map((r) => [keyOf({ id: r.id }), { id: r.id, name: r.name }]));
}

describe('a column the connector does not encode: fail halts and stays up, skip resumes', () => {
  beforeAll(async () => {
    [db, broker] = await Promise.all([createTestDatabase('cdcunsup'), startTestBroker()]);
    conn = await connect(db.url);
    await conn.query('CREATE TABLE items (id INT NOT NULL PRIMARY KEY, name VARCHAR(20) NOT NULL)');
    await conn.query("INSERT INTO items VALUES (1, 'a'), (2, 'b'), (3, 'c')");
    collector = await Collector.start(broker, [topicOf(P), topicOf(X), topicOf(Y)]);
    offsetsDir = await tempDir('cdc-unsup-');
  });

  afterAll(async () => {
    await run?.stop();
    await collector?.stop();
    await conn?.end();
    await broker?.stop();
    await db?.drop();
    if (offsetsDir) await fs.rm(offsetsDir, { recursive: true, force: true });
  });

  it('an invalid policy stops the start with a clear error', async () => {
    const env = await connectorEnv({
      db,
      broker,
      prefix: P,
      offsetsDir,
      extra: { CONNECTOR_UNSUPPORTED_COLUMNS: 'ignore' },
    });
    const r = await runUntilExit(env);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CONNECTOR_UNSUPPORTED_COLUMNS/);
    expect(r.stderr).toMatch(/fail.*skip/);
    expect(r.healthAnswered).toBe(false);
  });

  it('fail: halts at the first event with the column, alarm on /health and /status, process alive, offset before it', async () => {
    const env = await connectorEnv({
      db,
      broker,
      prefix: P,
      offsetsDir,
      extra: { CONNECTOR_UNSUPPORTED_TYPES: 'point', CDC_OFFSET_FLUSH_INTERVAL_MS: '100' },
    });
    run = await startConnector(env);
    await waitStreaming(run);
    await conn.query("INSERT INTO items VALUES (4, 'd')");
    await collector.until('rows 1-4', () => lastImages(collector.on(topicOf(P))).size >= 4 || undefined);

    await conn.query('ALTER TABLE items ADD COLUMN loc POINT NULL');
    const beforeWrite = await masterStatus(conn);
    await conn.query("UPDATE items SET loc = POINT(1, 2), name = 'a2' WHERE id = 1");
    await conn.query("INSERT INTO items VALUES (5, 'e', POINT(3, 4)), (6, 'f', NULL)");
    await conn.query("UPDATE items SET name = 'b2' WHERE id = 2");

    const halted = await waitFor(
      'the connector to halt',
      async () => {
        const h = await health(run!);
        if (h.body.status !== 'halted') throw new Error(`health ${h.code} ${JSON.stringify(h.body)}`);
        return h;
      },
      { timeoutMs: 30_000, intervalMs: 100 },
    );
    expect(halted.code).toBe(503);
    const alarm = halted.body.alarm!;
    expect(alarm).toMatchObject({
      code: 'CONNECTOR_ERR_UNSUPPORTED_COLUMN',
      table: `${db.name}.items`,
      column: 'loc',
      type: 'point',
    });
    expect(alarm.message).toMatch(/column .*\.items\.loc has type point/);
    expect(alarm.message).toMatch(/CONNECTOR_UNSUPPORTED_COLUMNS=skip/);
    // The event that met the column: the first write after the ALTER.
    expect(alarm.position).not.toBeNull();
    expect(order(alarm.position!, beforeWrite)).toBeGreaterThanOrEqual(0);

    const status = await fetch(`http://127.0.0.1:${run.port}/status`);
    expect(status.status).toBe(503);
    const statusBody = (await status.json()) as { state: string; alarm: Health['alarm'] };
    expect(statusBody.state).toBe('halted');
    expect(statusBody.alarm).toMatchObject({ column: 'loc', code: 'CONNECTOR_ERR_UNSUPPORTED_COLUMN' });

    // No crash: the process is still there seconds later, and nothing after the halt went out.
    await new Promise((r) => setTimeout(r, 3000));
    expect(run.proc.child.exitCode).toBeNull();
    expect(run.proc.child.signalCode).toBeNull();
    const ids = new Set(
      collector
        .on(topicOf(P))
        .filter((m) => m.value !== null)
        .map((m) => Number(keyPayload(m)!.id)),
    );
    expect([...ids].sort()).toEqual([1, 2, 3, 4]);
    expect(collector.on(topicOf(P)).some((m) => m.value !== null && envelope(m).payload.op === 'u')).toBe(
      false,
    );
    // The stored offset never passes the event, and the alarm names it.
    const stored = JSON.parse(await fs.readFile(path.join(offsetsDir, `${P}.offsets.json`), 'utf8'));
    expect(order(stored.offset, alarm.position!)).toBeLessThanOrEqual(0);
    await waitFor('the alarm to name the stored offset', async () => {
      const h = await health(run!);
      if (h.body.alarm?.resumeFrom?.pos !== stored.offset.pos) throw new Error(JSON.stringify(h.body.alarm));
    });
    expect(await run.stop()).toBe(0);
    run = undefined;
  });

  it('skip: a restart resumes from the stored offset, the column left out with one warning, no row lost', async () => {
    const env = await connectorEnv({
      db,
      broker,
      prefix: P,
      offsetsDir,
      extra: { CONNECTOR_UNSUPPORTED_TYPES: 'point', CONNECTOR_UNSUPPORTED_COLUMNS: 'skip' },
    });
    run = await startConnector(env);
    await waitStreaming(run);
    await conn.query("UPDATE items SET name = 'c2', loc = POINT(9, 9) WHERE id = 3");
    const want = await tableRows();
    const images = await collector.until('every row as the table holds it', () => {
      const last = lastImages(collector.on(topicOf(P)));
      for (const [key, row] of want)
        if (JSON.stringify(last.get(key)) !== JSON.stringify(row)) return undefined;
      return last;
    });
    expect(images.size).toBe(6);
    const after = collector
      .on(topicOf(P))
      .filter((m) => m.value !== null && envelope(m).payload.op !== 'r')
      .map((m) => envelope(m));
    // Every event after the ALTER: no loc in the images or in the value schema.
    for (const e of after) {
      for (const image of [e.payload.before, e.payload.after])
        if (image) expect(Object.keys(image)).toEqual(['id', 'name']);
      expect(JSON.stringify(e.schema)).not.toMatch(/"field":"loc"/);
    }
    const warnings =
      run.proc.output().match(/CONNECTOR_UNSUPPORTED_COLUMNS=skip: loc \(point\) of \S+\.items/g) ?? [];
    expect(warnings.length).toBe(1);
    expect((await health(run)).body.status).toBe('ok');
  });

  it('column.exclude.list: the column is left out of a fresh snapshot and stream, with no alarm and no warning', async () => {
    const env = await connectorEnv({
      db,
      broker,
      prefix: X,
      extra: {
        CONNECTOR_UNSUPPORTED_TYPES: 'point',
        CDC_COLUMN_EXCLUDE_LIST: `${db.name}\\.items\\.loc`,
      },
    });
    const x = await startConnector(env);
    try {
      await waitStreaming(x);
      await conn.query("INSERT INTO items VALUES (7, 'g', POINT(0, 0))");
      const want = await tableRows();
      await collector.until('the excluded run to hold every row', () => {
        const last = lastImages(collector.on(topicOf(X)));
        for (const [key, row] of want)
          if (JSON.stringify(last.get(key)) !== JSON.stringify(row)) return undefined;
        return true;
      });
      expect(x.proc.output()).not.toMatch(/CONNECTOR_UNSUPPORTED_COLUMNS=skip/);
      expect((await health(x)).body.status).toBe('ok');
    } finally {
      await x.stop();
    }
  });

  it('a snapshot that meets the column halts before reading rows; a restart with skip snapshots without it', async () => {
    const dir = await tempDir('cdc-unsup-snap-');
    const env = await connectorEnv({
      db,
      broker,
      prefix: Y,
      offsetsDir: dir,
      extra: { CONNECTOR_UNSUPPORTED_TYPES: 'point' },
    });
    // Ready when it says it halted: /health may never answer 200 before the snapshot meets the column.
    const first = await startComponent({
      name: 'connector:halting-snapshot',
      script: connectorScript,
      env,
      readyLine: 'connector halted',
      readyTimeoutMs: 60_000,
    });
    let y: ConnectorRun | undefined;
    try {
      const h = await health({ port: Number(env.CONNECTOR_PORT) } as ConnectorRun);
      expect(h.code).toBe(503);
      expect(h.body.status).toBe('halted');
      expect(h.body.alarm).toMatchObject({
        code: 'CONNECTOR_ERR_UNSUPPORTED_COLUMN',
        column: 'loc',
        type: 'point',
      });
      expect(h.body.alarm!.position).toMatchObject({ file: expect.stringMatching(/\.\d+$/) });
      expect(h.body.alarm!.resumeFrom).toBeNull();
      // Yet started, as npm start reads it: up and holding its alarm, not a failure to restart.
      const ready = await fetch(`http://127.0.0.1:${env.CONNECTOR_PORT}/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'halted' });
      await new Promise((r) => setTimeout(r, 1000));
      expect(first.child.exitCode).toBeNull();
      expect(collector.on(topicOf(Y))).toEqual([]);
      // No snapshot completed: no offsets, so the restart snapshots again.
      await expect(fs.access(path.join(dir, `${Y}.offsets.json`))).rejects.toThrow();
      expect(await first.stop()).toBe(0);
      y = await startConnector({ ...env, CONNECTOR_UNSUPPORTED_COLUMNS: 'skip' });
      await waitStreaming(y);
      const want = await tableRows();
      await collector.until('the skip run to hold every row', () => {
        const last = lastImages(collector.on(topicOf(Y)));
        for (const [key, row] of want)
          if (JSON.stringify(last.get(key)) !== JSON.stringify(row)) return undefined;
        return true;
      });
    } finally {
      await first.stop();
      await y?.stop();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
