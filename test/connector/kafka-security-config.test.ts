import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { connectionFactory } from '../../cdc/connector/kafka-client/connection.ts';
import { KafkaProducer } from '../../cdc/connector/kafka-client/producer.ts';
import { keyPartitioner } from '../../cdc/connector/partitioner.ts';
import { checkKafkaAccess } from '../../cdc/consumer/index.ts';
import { repoRoot, startComponent } from '../../lib/component-process.ts';
import { ConfigError } from '../../lib/errors.ts';
import { loadKafkaSecurity } from '../../lib/kafka-security.ts';
import { freePort } from '../../lib/net.ts';
import { startSystem } from '../../scripts/up/system.ts';
import { createTestDatabase } from '../support/database.ts';

/**
 * The security variables at the edges the interop suite does not reach: every component refuses
 * a bad combination at start naming the variable, `npm start` refuses TLS/SASL with the embedded
 * broker, and a client configured for SASL or TLS against the embedded broker (which has
 * neither) fails at once with the typed error instead of retrying.
 */

const badSecurity = {
  KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
  KAFKA_SASL_MECHANISM: 'SCRAM-SHA-1',
  KAFKA_SASL_USERNAME: 'alice',
  KAFKA_SASL_PASSWORD: 'alice-secret',
  KAFKA_SSL_CA_FILE: '/no/such/ca.pem',
};

function run(script: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('a bad Kafka security setting stops each component at start, naming the variables', () => {
  it.each([
    'cdc/connector/main.ts',
    'extracted/catalog/main.ts',
    'extracted/orders/main.ts',
    'cdc/writer-map/main.ts',
  ])('%s', (script) => {
    const result = run(script, { ...badSecurity, KAFKA_BROKERS: '127.0.0.1:1', LOG_LEVEL: 'warn' });
    expect(result.status, result.stderr).toBe(2);
    expect(result.stderr).toContain(
      'KAFKA_SASL_MECHANISM="SCRAM-SHA-1": expected one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512',
    );
    expect(result.stderr).toContain('KAFKA_SSL_CA_FILE=/no/such/ca.pem: cannot be read (ENOENT)');
    expect(result.stderr + result.stdout).not.toContain('alice-secret');
  });

  it('npm start (startSystem) checks them before starting anything, and refuses them with the embedded broker', async () => {
    await expect(startSystem({ env: { ...badSecurity } })).rejects.toThrow(
      /KAFKA_SASL_MECHANISM="SCRAM-SHA-1"/,
    );
    const err = await startSystem({
      env: { KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_REJECT_UNAUTHORIZED: 'false' },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toContain(
      'KAFKA_SECURITY_PROTOCOL=SSL needs KAFKA_BROKERS (a real Kafka): the embedded broker (cdc/broker) has no TLS or SASL',
    );
  });
});

describe('TLS or SASL against the embedded broker, which has neither', () => {
  let broker: TestBroker;
  beforeAll(async () => {
    broker = await startTestBroker();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  const sasl = {
    KAFKA_SECURITY_PROTOCOL: 'SASL_PLAINTEXT',
    KAFKA_SASL_MECHANISM: 'PLAIN',
    KAFKA_SASL_USERNAME: 'alice',
    KAFKA_SASL_PASSWORD: 'alice-secret',
  };
  const tls = { KAFKA_SECURITY_PROTOCOL: 'SSL' };

  const producerFor = (env: Record<string, string>) =>
    new KafkaProducer({
      brokers: broker.brokers,
      clientId: 'security-check',
      partitioner: keyPartitioner(),
      allowAutoTopicCreation: true,
      // A retry would wait 8 s at least: well above the bound below.
      retry: { retries: 5, initialRetryTimeMs: 10_000, maxRetryTimeMs: 10_000 },
      connect: connectionFactory(loadKafkaSecurity('test', env)),
    });

  it.each([
    [
      'SASL',
      sasl,
      'CONNECTOR_ERR_KAFKA_AUTH',
      /SASL PLAIN authentication of user "alice" failed: the broker does not offer SaslHandshake: its listener is not a SASL listener/,
    ],
    [
      'TLS',
      tls,
      'CONNECTOR_ERR_KAFKA_TLS',
      /TLS handshake failed: .*before secure TLS connection was established/,
    ],
  ])('the connector producer with %s fails at once with the typed error', async (_, env, code, message) => {
    const producer = producerFor(env);
    const started = Date.now();
    const err = await producer.connect().catch((e: unknown) => e);
    const ms = Date.now() - started;
    await producer.disconnect();
    expect(err).toMatchObject({ code, retriable: false });
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message).toContain(broker.brokers[0]);
    expect(ms).toBeLessThan(7000);
  });

  it.each([
    [
      'SASL',
      sasl,
      'CDC_ERR_KAFKA_AUTH',
      /SASL PLAIN authentication of user "alice" failed: the broker does not offer SaslHandshake/,
    ],
    ['TLS', tls, 'CDC_ERR_KAFKA_TLS', /TLS handshake failed: .*before secure TLS connection was established/],
  ])(
    'the consumer library with %s fails its start check with the typed error',
    async (_, env, code, message) => {
      const started = Date.now();
      const err = await checkKafkaAccess(
        broker.brokers,
        'security-check',
        loadKafkaSecurity('test', env),
      ).catch((e: unknown) => e);
      expect(err).toMatchObject({ code, retriable: false });
      expect((err as Error).message).toMatch(message);
      // kafkajs' own retries (10, backoff up to 5 s) would take over half a minute.
      expect(Date.now() - started).toBeLessThan(15_000);
    },
  );

  // Without the fatal path the service and the writer map would retry forever, serving HTTP.
  it.each([
    ['extracted/catalog/main.ts', 'catalog', 'CATALOG'],
    ['cdc/writer-map/main.ts', 'writer map', 'WRITERS'],
  ])('%s exits at start with CDC_ERR_KAFKA_AUTH, naming the broker', async (script, name, prefix) => {
    const store = await createTestDatabase('ksec');
    const proc = await startComponent({
      name,
      script,
      env: {
        ...sasl,
        KAFKA_BROKERS: broker.brokers.join(','),
        MYSQL_URL: store.serverUrl,
        [`${prefix}_DB`]: store.name,
        [`${prefix}_PORT`]: String(await freePort()),
        WRITERS_TABLES: 'items',
        LOG_LEVEL: 'warn',
      },
    });
    try {
      const code = await Promise.race([
        proc.exited,
        new Promise<string>((r) => setTimeout(() => r('still running after 40 s'), 40_000)),
      ]);
      expect(code, proc.output()).toBe(1);
      expect(proc.output()).toContain(
        `${name} cannot start: Kafka broker ${broker.brokers[0]}: SASL PLAIN authentication of user "alice" failed: the broker does not offer SaslHandshake`,
      );
      expect(proc.output()).toContain('(CDC_ERR_KAFKA_AUTH)');
      expect(proc.output()).not.toContain('alice-secret');
    } finally {
      await proc.stop('SIGKILL');
      await store.drop();
    }
  });
});
