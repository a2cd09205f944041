import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import knexFactory, { type Knex } from 'knex';
import mysql from 'mysql2/promise';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { connectionFactory } from '../../cdc/connector/kafka-client/connection.ts';
import { KafkaProducer } from '../../cdc/connector/kafka-client/producer.ts';
import { keyPartitioner } from '../../cdc/connector/partitioner.ts';
import { type ChangeEvent, createOffsetsTable, ProjectionRunner } from '../../cdc/consumer/index.ts';
import { startComponent } from '../../lib/component-process.ts';
import { dataRoot } from '../../lib/database/data-root.ts';
import { type KafkaSecurity, loadKafkaSecurity } from '../../lib/kafka-security.ts';
import { freePort, waitUntil } from '../../lib/net.ts';
import { makeTestPki, type TestPki } from '../../scripts/interop/certs.ts';
import {
  type KafkaCluster,
  type KafkaUser,
  type SecuredListener,
  startKafka,
} from '../../scripts/interop/kafka.ts';
import { startSystem } from '../../scripts/up/system.ts';
import { runUntilExit, startConnector, tempDir, waitStreaming } from '../connector/support.ts';

/**
 * One Kafka 4 node with SSL, SASL_SSL and SASL_PLAINTEXT listeners (certificates made by openssl
 * for this run; SCRAM users written at storage format, PLAIN users in the listener's JAAS): the
 * connector process publishes a table's snapshot and a streamed insert, and the consumer library
 * (the services' ProjectionRunner) reads them, over each protocol and mechanism. A wrong
 * password and an untrusted CA stop the connector's producer, the consumer library and the
 * connector and service processes at start with the typed error, without a retry loop.
 */

const users: KafkaUser[] = [
  { mechanism: 'SCRAM-SHA-512', username: 'alice', password: 'alice-secret-512' },
  { mechanism: 'SCRAM-SHA-256', username: 'carol', password: 'carol-secret-256' },
  { mechanism: 'PLAIN', username: 'bob', password: 'bob-secret-plain' },
];
const userOf = (mechanism: KafkaUser['mechanism']) => users.find((u) => u.mechanism === mechanism)!;

describe('Kafka security against a real Kafka 4 (SSL, SASL_SSL, SASL_PLAINTEXT)', () => {
  let kafka: KafkaCluster;
  let pki: TestPki;
  let conn: mysql.Connection;
  let store: Knex;
  const serverUrl = inject('interopMysqlUrl');
  const tag = randomBytes(3).toString('hex');
  const db = `ksec_${tag}`;
  const storeDb = `ksec_store_${tag}`;

  beforeAll(async () => {
    pki = await makeTestPki(path.join(dataRoot(), 'interop', 'pki', `${Date.now()}-${tag}`));
    conn = await mysql.createConnection({ uri: serverUrl });
    await conn.query(`CREATE DATABASE \`${db}\``);
    await conn.query(`CREATE TABLE \`${db}\`.items (id INT PRIMARY KEY, name VARCHAR(40) NOT NULL)`);
    await conn.query(`INSERT INTO \`${db}\`.items VALUES (1, 'one'), (2, 'two'), (3, 'three')`);
    await conn.query(`CREATE DATABASE \`${storeDb}\``);
    const url = new URL(serverUrl);
    url.pathname = `/${storeDb}`;
    store = knexFactory({
      client: 'mysql2',
      connection: { uri: url.toString() } as never,
      pool: { min: 0, max: 4 },
    });
    await createOffsetsTable(store);
    kafka = await startKafka({ nodes: 1, security: { pki, users } });
    console.log(`secured kafka ready in ${kafka.startupMs.ready} ms`);
  });

  afterAll(async () => {
    await kafka?.stop();
    if (pki) await fs.rm(pki.dir, { recursive: true, force: true });
    await store?.destroy();
    await conn?.query(`DROP DATABASE IF EXISTS \`${db}\``);
    await conn?.query(`DROP DATABASE IF EXISTS \`${storeDb}\``);
    await conn?.end();
  });

  /** The variables as an operator sets them, for `listener` (and a SASL user). */
  const envFor = (
    listener: SecuredListener,
    user?: KafkaUser,
    overrides: Record<string, string> = {},
  ): Record<string, string> => ({
    KAFKA_BROKERS: kafka.secured![listener].join(','),
    KAFKA_SECURITY_PROTOCOL: listener,
    ...(listener !== 'SASL_PLAINTEXT' ? { KAFKA_SSL_CA_FILE: pki.caFile } : {}),
    ...(user
      ? {
          KAFKA_SASL_MECHANISM: user.mechanism,
          KAFKA_SASL_USERNAME: user.username,
          KAFKA_SASL_PASSWORD: user.password,
        }
      : {}),
    ...overrides,
  });

  /** The runner's log lines (warn and up), kept for the assertions. */
  const runnerFor = (
    env: Record<string, string>,
    topic: string,
    seen: ChangeEvent[],
    logged: string[] = [],
  ) =>
    new ProjectionRunner({
      log: pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) }),
      brokers: env.KAFKA_BROKERS!.split(','),
      security: loadKafkaSecurity('test', env),
      groupId: `ksec-${randomBytes(3).toString('hex')}`,
      knex: store,
      projection: {
        name: 'ksec',
        topics: [topic],
        handle: async (event) => {
          seen.push(event);
        },
      },
      sourceUrl: serverUrl,
    });

  it.each([
    ['SASL_SSL', 'SCRAM-SHA-512'],
    ['SASL_SSL', 'PLAIN'],
    ['SSL', ''],
    ['SASL_PLAINTEXT', 'SCRAM-SHA-256'],
  ] as const)(
    'over %s %s the connector publishes and the consumer library reads every event',
    async (listener, mechanism) => {
      const prefix = `ksec${listener.toLowerCase().replace(/_/g, '')}${(mechanism || 'tls').replace(/-/g, '').toLowerCase()}`;
      const env = envFor(listener, mechanism ? userOf(mechanism) : undefined);
      const connector = await startConnector({
        ...env,
        MYSQL_URL: serverUrl,
        SHOP_DB: db,
        CDC_DATABASE_INCLUDE_LIST: db,
        CDC_TOPIC_PREFIX: prefix,
        CONNECTOR_PORT: String(await freePort()),
        CONNECTOR_SERVER_ID: String(100_000 + Math.floor(Math.random() * 1_000_000)),
        CONNECTOR_OFFSETS_DIR: await tempDir('ksec-offsets-'),
        LOG_LEVEL: 'warn',
      });
      const seen: ChangeEvent[] = [];
      const logged: string[] = [];
      const runner = runnerFor(env, `${prefix}.${db}.items`, seen, logged);
      try {
        await waitStreaming(connector);
        await runner.start();
        const id = 100 + Math.floor(Math.random() * 1_000_000);
        await conn.query(`INSERT INTO \`${db}\`.items VALUES (?, 'streamed')`, [id]);
        await waitUntil('the snapshot rows and the streamed insert', () => seen.length >= 4, {
          timeoutMs: 60_000,
          intervalMs: 100,
        });
        const rows = seen.map((e) => [e.op, e.after?.id, e.after?.name]);
        expect(rows.slice(0, 3).sort()).toEqual([
          ['r', 1, 'one'],
          ['r', 2, 'two'],
          ['r', 3, 'three'],
        ]);
        expect(rows).toContainEqual(['c', id, 'streamed']);
        expect(logged.filter((l) => (JSON.parse(l) as { level: number }).level >= 50)).toEqual([]);
        await conn.query(`DELETE FROM \`${db}\`.items WHERE id = ?`, [id]);
      } finally {
        await runner.stop();
        await connector.stop();
      }
    },
  );

  const refusals: Array<[string, string, () => Record<string, string>, RegExp]> = [
    [
      'a wrong SCRAM-SHA-512 password',
      'KAFKA_AUTH',
      () => envFor('SASL_SSL', { ...userOf('SCRAM-SHA-512'), password: 'not-the-password' }),
      /SASL SCRAM-SHA-512 authentication of user "alice" failed/,
    ],
    [
      'a wrong PLAIN password',
      'KAFKA_AUTH',
      () => envFor('SASL_SSL', { ...userOf('PLAIN'), password: 'not-the-password' }),
      /SASL PLAIN authentication of user "bob" failed/,
    ],
    [
      'a CA that did not sign the broker certificate',
      'KAFKA_TLS',
      () => envFor('SSL', undefined, { KAFKA_SSL_CA_FILE: pki.otherCaFile }),
      /TLS handshake failed: .*(self[- ]signed|unable to (get|verify))/i,
    ],
    [
      'SASL against the PLAINTEXT listener',
      'KAFKA_AUTH',
      () => envFor('SASL_PLAINTEXT', userOf('SCRAM-SHA-512'), { KAFKA_BROKERS: kafka.brokers.join(',') }),
      /SASL SCRAM-SHA-512 authentication of user "alice" failed: .*the listener is not a SASL listener/,
    ],
    [
      'TLS against the PLAINTEXT listener',
      'KAFKA_TLS',
      () => envFor('SSL', undefined, { KAFKA_BROKERS: kafka.brokers.join(',') }),
      /TLS handshake failed: /,
    ],
  ];

  // A retry would take longer than these bounds: this producer's first backoff is 10 s (± 20 %),
  // kafkajs' 10 retries for the consumer take over half a minute.
  it.each(refusals)(
    '%s stops the connector producer at once (CONNECTOR_ERR_%s)',
    async (_, code, env, message) => {
      const e = env();
      const security: KafkaSecurity = loadKafkaSecurity('test', e);
      const producer = new KafkaProducer({
        brokers: e.KAFKA_BROKERS!.split(','),
        clientId: 'ksec-refused',
        partitioner: keyPartitioner(),
        allowAutoTopicCreation: true,
        retry: { retries: 5, initialRetryTimeMs: 10_000, maxRetryTimeMs: 10_000 },
        connectTimeoutMs: 5000,
        connect: connectionFactory(security),
      });
      const started = Date.now();
      const err = await producer.connect().then(
        () => undefined,
        (err: unknown) => err,
      );
      const ms = Date.now() - started;
      await producer.disconnect();
      expect(err).toMatchObject({ code: `CONNECTOR_ERR_${code}`, retriable: false });
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(e.KAFKA_BROKERS);
      expect(ms).toBeLessThan(7000);
    },
  );

  it.each(refusals)('%s stops the consumer library at start (CDC_ERR_%s)', async (_, code, env, message) => {
    const e = env();
    const logged: string[] = [];
    const runner = runnerFor(e, `ksec.refused.${tag}`, [], logged);
    const started = Date.now();
    const err = await runner.start().then(
      () => undefined,
      (err: unknown) => err,
    );
    const ms = Date.now() - started;
    await runner.stop();
    expect(err).toMatchObject({ code: `CDC_ERR_${code}`, retriable: false });
    expect((err as Error).message).toMatch(message);
    expect(ms).toBeLessThan(15_000);
    expect(logged.join('')).not.toContain('not-the-password');
  });

  it('npm start (startSystem) stops before starting anything on a wrong password', async () => {
    const e = envFor('SASL_SSL', { ...userOf('SCRAM-SHA-512'), password: 'not-the-password' });
    const lines: string[] = [];
    const started = Date.now();
    const err = await startSystem({ env: { ...e, MYSQL_URL: serverUrl }, log: (l) => lines.push(l) }).catch(
      (err: unknown) => err,
    );
    expect(err).toMatchObject({ code: 'CDC_ERR_KAFKA_AUTH', retriable: false });
    expect((err as Error).message).toMatch(/SASL SCRAM-SHA-512 authentication of user "alice" failed/);
    expect(Date.now() - started).toBeLessThan(15_000);
    // Only the Kafka line was printed (password redacted): nothing else was started.
    expect(lines).toEqual([
      `kafka     ${e.KAFKA_BROKERS} {"protocol":"SASL_SSL","tls":{"ca":"from KAFKA_SSL_CA_FILE","clientCertificate":false,"rejectUnauthorized":true},"sasl":{"mechanism":"SCRAM-SHA-512","username":"alice","password":"[redacted]"}}`,
    ]);
  });

  it('the connector process exits at start on a wrong password, naming broker, user and code', async () => {
    const e = envFor('SASL_SSL', { ...userOf('SCRAM-SHA-512'), password: 'not-the-password' });
    const result = await runUntilExit(
      {
        ...e,
        MYSQL_URL: serverUrl,
        SHOP_DB: db,
        CDC_DATABASE_INCLUDE_LIST: db,
        CDC_TOPIC_PREFIX: 'ksecrefused',
        CONNECTOR_PORT: String(await freePort()),
        CONNECTOR_OFFSETS_DIR: await tempDir('ksec-offsets-'),
        LOG_LEVEL: 'warn',
      },
      45_000,
    );
    expect(result.signal).toBeNull();
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      new RegExp(
        `connector failed: Kafka broker ${e.KAFKA_BROKERS!.replace(/\./g, '\\.')}: SASL SCRAM-SHA-512 authentication of user "alice" failed: SASL_AUTHENTICATION_FAILED .*\\(CONNECTOR_ERR_KAFKA_AUTH\\)`,
      ),
    );
    expect(result.stderr + result.stdout).not.toContain('not-the-password');
  });

  it('a service process exits at start when its CA does not vouch for the broker', async () => {
    const e = envFor('SSL', undefined, { KAFKA_SSL_CA_FILE: pki.otherCaFile });
    const started = Date.now();
    const service = await startComponent({
      name: 'catalog:untrusted',
      script: 'extracted/catalog/main.ts',
      env: {
        ...e,
        MYSQL_URL: serverUrl,
        CATALOG_DB: `ksec_catalog_${tag}`,
        CATALOG_PORT: String(await freePort()),
        SHOP_DB: db,
        LOG_LEVEL: 'warn',
      },
    });
    try {
      // Without the check kafkajs retries for half a minute, then the service's own loop forever.
      const code = await Promise.race([
        service.exited,
        new Promise<string>((r) => setTimeout(() => r('still running after 40 s'), 40_000)),
      ]);
      expect(code, service.output()).toBe(1);
      expect(service.output()).toMatch(
        /catalog cannot start: Kafka broker 127\.0\.0\.1:\d+: TLS handshake failed: .*\(CDC_ERR_KAFKA_TLS\)/,
      );
      expect(Date.now() - started).toBeLessThan(40_000);
    } finally {
      await service.stop('SIGKILL');
      await conn.query(`DROP DATABASE IF EXISTS \`ksec_catalog_${tag}\``);
    }
  });
});
