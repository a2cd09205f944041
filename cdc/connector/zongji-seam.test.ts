import { EventEmitter } from 'node:events';
import ZongJi from '@vlasky/zongji';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../test/support/database.ts';
import { zongjiConnectionOptions } from './encoding/index.ts';
import type { TableMapLike } from './encoding/table-defs.ts';
import { ConnectorError } from './errors.ts';
import {
  checkTableMapShape,
  checkZongjiVersion,
  installedZongjiVersion,
  installZongjiSeam,
  ZONGJI_VERSION,
} from './zongji-seam.ts';

/**
 * The seam reaches into zongji's TableMap. Against the installed library it must pass and
 * deliver NULL-ability; against another version or a changed shape it must fail at start,
 * naming the library and both versions, rather than let the connector run without it.
 */

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('did not throw');
}

describe('zongji seam: the version', () => {
  it('is the pinned one', () => {
    expect(installedZongjiVersion()).toBe(ZONGJI_VERSION);
    expect(() => checkZongjiVersion()).not.toThrow();
  });

  it('refuses another one, naming the library and both versions', () => {
    const err = thrown(() => checkZongjiVersion('0.10.0'));
    expect(err).toBeInstanceOf(ConnectorError);
    expect(err).toMatchObject({ code: 'CONNECTOR_ERR_LIBRARY' });
    expect(err.message).toMatch(/^@vlasky\/zongji 0\.10\.0: .*written against @vlasky\/zongji 0\.9\.0/);
  });
});

describe('zongji seam: the shape (real library, real binlog)', () => {
  let db: TestDatabase;
  let conn: mysql.Connection;
  let zongji: ZongJi;
  const tableMaps: TableMapLike[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('seam');
    conn = await mysql.createConnection(db.url);
    await conn.query('CREATE TABLE t (id INT PRIMARY KEY, a INT NULL, b VARCHAR(5) NOT NULL, c TEXT NULL)');
    zongji = new ZongJi({ uri: db.serverUrl, ...zongjiConnectionOptions });
    const seam = installZongjiSeam(zongji);
    zongji.on('binlog', (e: { getTypeName(): string; schemaName?: string }) => {
      if (e.getTypeName() === 'TableMap' && e.schemaName === db.name)
        tableMaps.push(e as unknown as TableMapLike);
    });
    await new Promise<void>((resolve, reject) => {
      zongji.once('ready', () => resolve());
      zongji.once('error', reject);
      zongji.start({ serverId: 10_000 + Math.floor(Math.random() * 50_000), startAtEnd: true });
    });
    await seam;
    await conn.query("INSERT INTO t VALUES (1, NULL, 'x', NULL)");
    const until = Date.now() + 10_000;
    while (tableMaps.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  });

  afterAll(async () => {
    zongji?.stop();
    await conn?.end();
    await db?.drop();
  });

  it('passes on the installed library, and its TableMap events carry NULL-ability', () => {
    const tm = tableMaps[0];
    expect(tm).toBeDefined();
    expect(() => checkTableMapShape(Object.getPrototypeOf(tm))).not.toThrow();
    expect(tm?.nullability).toEqual([false, true, false, true]);
    expect(tm?.ownColumnSchemas?.map((s) => s.COLUMN_NAME)).toEqual(['id', 'a', 'b', 'c']);
  });

  it('fails on a doctored copy of the shape: a member gone, or another arity', () => {
    const real = Object.getPrototypeOf(tableMaps[0]) as Record<string, (...args: unknown[]) => unknown>;
    const copy = {
      _readOptionalMetadata: real._readOptionalMetadata,
      buildColumnSchemas: real.buildColumnSchemas,
      updateColumnInfo: real.updateColumnInfo,
    };
    expect(() => checkTableMapShape(copy)).not.toThrow();
    const missing = thrown(() => checkTableMapShape({ ...copy, _readOptionalMetadata: undefined }));
    expect(missing).toMatchObject({ code: 'CONNECTOR_ERR_LIBRARY' });
    expect(missing.message).toMatch(
      /^@vlasky\/zongji 0\.9\.0: TableMap\.prototype\._readOptionalMetadata is missing; .*@vlasky\/zongji 0\.9\.0/,
    );
    const arity = thrown(() =>
      checkTableMapShape({ ...copy, buildColumnSchemas: (_options: unknown) => [] }),
    );
    expect(arity.message).toMatch(/TableMap\.prototype\.buildColumnSchemas takes 1 arguments, not 0/);
  });

  it('refuses a ready instance without the dump command it probes, and stops it', async () => {
    let stopped = false;
    const doctored = Object.assign(new EventEmitter(), {
      tableMap: {},
      useChecksum: false,
      stop: () => {
        stopped = true;
      },
    });
    const seam = installZongjiSeam(doctored as unknown as ZongJi);
    doctored.emit('ready');
    await expect(seam).rejects.toMatchObject({
      code: 'CONNECTOR_ERR_LIBRARY',
      message: expect.stringMatching(/^@vlasky\/zongji 0\.9\.0: a ready instance has no BinlogClass/),
    });
    expect(stopped).toBe(true);
  });
});
