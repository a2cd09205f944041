import fs from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { createTestDatabase, type TestDatabase } from '../support/database.ts';
import {
  Collector,
  type ConnectorRun,
  connect,
  connectorEnv,
  envelope,
  masterStatus,
  randomPrefix,
  runUntilExit,
  startConnector,
  tempDir,
  waitStreaming,
} from './support.ts';

/**
 * Offsets written against another server (a test instance, a re-created database) name a
 * binlog file this server has too, but a place inside an event: resuming there would stream
 * garbage or skip changes. The connector must refuse, and re-snapshot when told to.
 */
describe('connector: offsets that belong to another server', () => {
  let broker: TestBroker;
  let db: TestDatabase;
  let run: ConnectorRun | undefined;
  let collector: Collector | undefined;

  beforeAll(async () => {
    broker = await startTestBroker();
    db = await createTestDatabase('cdcforeign');
  });
  afterAll(async () => {
    await run?.stop('SIGTERM');
    await collector?.stop();
    await db?.drop();
    await broker?.stop();
  });

  it('stops naming the mismatch, and snapshot.mode=when_needed re-snapshots', async () => {
    const conn = await connect(db.url);
    await conn.query("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(5)); INSERT INTO t VALUES (1, 'a');");
    const here = await masterStatus(conn);
    await conn.end();
    const prefix = randomPrefix('fo');
    const offsetsDir = await tempDir('cdc-offsets-');
    // The current file, one byte into an event: no server has a transaction boundary there.
    await fs.writeFile(
      path.join(offsetsDir, `${prefix}.offsets.json`),
      JSON.stringify({
        partition: { server: prefix },
        offset: { file: here.file, pos: here.pos - 1, gtids: '0-1-1', ts_sec: 1, snapshot_completed: true },
      }),
    );
    const env = await connectorEnv({ db, broker, prefix, offsetsDir });
    const r = await runUntilExit(env);
    const out = r.stdout + r.stderr;
    expect(r.code, out).not.toBe(0);
    expect(out).toContain('does not belong to the server');
    expect(out).toContain(`${here.file}:${here.pos - 1}`);
    expect(out).toContain('when_needed');

    const topic = `${prefix}.${db.name}.t`;
    collector = await Collector.start(broker, [topic]);
    run = await startConnector({ ...env, CDC_SNAPSHOT_MODE: 'when_needed' });
    await waitStreaming(run);
    const snap = await collector.until('the re-snapshot', () =>
      collector?.on(topic).find((m) => m.value !== null),
    );
    expect(envelope(snap).payload.op).toBe('r');
    const stored = JSON.parse(await fs.readFile(path.join(offsetsDir, `${prefix}.offsets.json`), 'utf8'));
    expect(stored.offset.pos).not.toBe(here.pos - 1);
  });
});
