import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestBroker } from '../../cdc/broker/test-broker.ts';
import { repoRoot } from '../../lib/component-process.ts';
import { int32, kafkaClient, RawClient, uniqueName, until } from './support.ts';

describe('broker configuration', () => {
  it('advertises the configured host and port in Metadata and FindCoordinator', async () => {
    const broker = await startTestBroker({
      env: { BROKER_ADVERTISED_HOST: 'kafka.internal', BROKER_ADVERTISED_PORT: '29092' },
    });
    try {
      const raw = await RawClient.connect(broker.port);
      // Metadata v4: topics = [] (brokers only), allow_auto_topic_creation = false
      const meta = await raw.request(3, 4, 1, Buffer.concat([int32(0), Buffer.from([0])]));
      // correlation, throttle, brokers[1]: node_id, host, port
      expect(meta.readInt32BE(8)).toBe(1);
      expect(meta.readInt32BE(12)).toBe(0);
      const hostLen = meta.readInt16BE(16);
      expect(meta.toString('utf8', 18, 18 + hostLen)).toBe('kafka.internal');
      expect(meta.readInt32BE(18 + hostLen)).toBe(29092);
      const groupKey = Buffer.from('some-group');
      const len = Buffer.alloc(2);
      len.writeInt16BE(groupKey.length);
      const coord = await raw.request(10, 1, 2, Buffer.concat([len, groupKey, Buffer.from([0])]));
      // correlation, throttle, error_code, error_message (null = -1), node_id, host, port
      expect(coord.readInt16BE(8)).toBe(0);
      expect(coord.readInt16BE(10)).toBe(-1);
      expect(coord.readInt32BE(12)).toBe(0);
      expect(coord.toString('utf8', 18, 18 + coord.readInt16BE(16))).toBe('kafka.internal');
      raw.close();
    } finally {
      await broker.stop();
    }
  });

  it('refuses an invalid configuration at start, naming every bad field and its env variable', () => {
    const tsx = path.join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs');
    const res = spawnSync(process.execPath, [tsx, 'cdc/broker/main.ts'], {
      cwd: repoRoot,
      env: { ...process.env, BROKER_PORT: 'ninety', BROKER_DEFAULT_PARTITIONS: '0', BROKER_FSYNC: 'maybe' },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(res.status).toBe(2);
    expect(res.stderr).toContain('invalid configuration for broker');
    expect(res.stderr).toContain('BROKER_PORT="ninety"');
    expect(res.stderr).toContain('BROKER_DEFAULT_PARTITIONS="0"');
    expect(res.stderr).toContain('BROKER_FSYNC="maybe"');
  });
});

describe('graceful shutdown', () => {
  it('SIGTERM with a running group and a parked fetch exits 0 promptly and keeps the data', async () => {
    const broker = await startTestBroker();
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('term');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'kept', partition: 0 }] });
    await producer.disconnect();
    const consumer = kafka.consumer({ groupId: uniqueName('g'), maxWaitTimeInMs: 10_000 });
    let got = 0;
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async () => {
        got++;
      },
    });
    await until('consumed, next fetch parked', () => got === 1);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const code = await broker.process.stop('SIGTERM');
    expect(code).toBe(0);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(broker.process.output()).toContain('broker stopped');
    await consumer.disconnect().catch(() => {});
    const again = await broker.restart();
    const admin = kafkaClient(again.brokers).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic);
    await admin.disconnect();
    await again.stop();
    expect(offsets.find((o) => o.partition === 0)!.high).toBe('1');
  }, 60_000);
});
