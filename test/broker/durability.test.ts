import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { kafkaClient, uniqueName, until } from './support.ts';

let broker: TestBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

async function consumeAll(brokers: string[], topic: string, expected: number) {
  const consumer = kafkaClient(brokers).consumer({ groupId: uniqueName('read'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const got: Array<{ partition: number; offset: number; value: string }> = [];
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      got.push({ partition, offset: Number(message.offset), value: message.value!.toString() });
    },
  });
  await until(`${expected} messages`, () => got.length >= expected);
  await new Promise((r) => setTimeout(r, 300)); // nothing extra arrives
  await consumer.disconnect();
  return got;
}

describe('durability', () => {
  it('every acknowledged message reads back after the broker is SIGKILLed', async () => {
    broker = await startTestBroker();
    const topic = uniqueName('crash');
    const producer = kafkaClient(broker.brokers).producer();
    await producer.connect();
    const acked: string[] = [];
    // Concurrent acks=-1 sends (group commit), then SIGKILL right after the last ack.
    await Promise.all(
      Array.from({ length: 20 }, async (_, s) => {
        const messages = Array.from({ length: 50 }, (_, i) => ({ value: `s${s}-m${i}` }));
        await producer.send({ topic, acks: -1, messages });
        acked.push(...messages.map((m) => m.value));
      }),
    );
    await broker.kill();
    await producer.disconnect();
    broker = await broker.restart();
    const got = await consumeAll(broker.brokers, topic, acked.length);
    expect(got.map((g) => g.value).sort()).toEqual([...acked].sort());
    // Offsets per partition are dense from 0: nothing lost, nothing duplicated.
    for (const p of [0, 1, 2]) {
      const offsets = got.filter((g) => g.partition === p).map((g) => g.offset);
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    // The next produce continues after the recovered end.
    const producer2 = kafkaClient(broker.brokers).producer();
    await producer2.connect();
    const [res] = await producer2.send({ topic, messages: [{ value: 'after', partition: 0 }] });
    await producer2.disconnect();
    expect(Number(res!.baseOffset)).toBe(got.filter((g) => g.partition === 0).length);
  });

  it('committed offsets answered before a SIGKILL are there after the restart', async () => {
    broker = await startTestBroker();
    const kafka = kafkaClient(broker.brokers);
    const topic = uniqueName('commit-crash');
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [0, 1, 2].map((p) => ({ partition: p, value: `v${p}` })) });
    await producer.disconnect();
    const groups = [uniqueName('g'), uniqueName('g')];
    const admin = kafka.admin();
    await admin.connect();
    for (const [i, groupId] of groups.entries()) {
      await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: String(i) }] });
    }
    await admin.disconnect();
    await broker.kill();
    broker = await broker.restart();
    const admin2 = kafkaClient(broker.brokers).admin();
    await admin2.connect();
    for (const [i, groupId] of groups.entries()) {
      const [t] = await admin2.fetchOffsets({ groupId, topics: [topic] });
      expect(t!.partitions.find((p) => p.partition === 0)!.offset).toBe(String(i));
    }
    await admin2.disconnect();
  }, 90_000);

  it('recovery truncates a torn tail, keeps every whole batch before it and logs the repair', async () => {
    broker = await startTestBroker();
    const topic = uniqueName('torn');
    const producer = kafkaClient(broker.brokers).producer();
    await producer.connect();
    for (let i = 0; i < 3; i++) await producer.send({ topic, messages: [{ value: `b${i}`, partition: 0 }] });
    await producer.disconnect();
    await broker.stop({ keepData: true });
    const dir = path.join(broker.dataDir, 'topics', topic, '0');
    const segment = path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.log'))!);
    const size = fs.statSync(segment).size;
    fs.truncateSync(segment, size - 5); // the last batch is now torn
    fs.rmSync(segment.replace(/\.log$/, '.index')); // and the index must be rebuilt from the log
    broker = await broker.restart();
    expect(broker.process.output()).toContain('truncating a torn or corrupt tail');
    const got = await consumeAll(broker.brokers, topic, 2);
    expect(got.map((g) => g.value)).toEqual(['b0', 'b1']);
    const producer2 = kafkaClient(broker.brokers).producer();
    await producer2.connect();
    const [res] = await producer2.send({ topic, messages: [{ value: 'b2-again', partition: 0 }] });
    await producer2.disconnect();
    expect(res!.baseOffset).toBe('2');
  });

  it('rolls segments and reads across them after a restart', async () => {
    broker = await startTestBroker({ env: { BROKER_SEGMENT_BYTES: '4096' } });
    const topic = uniqueName('roll');
    const producer = kafkaClient(broker.brokers).producer();
    await producer.connect();
    const value = 'x'.repeat(1000);
    for (let i = 0; i < 12; i++)
      await producer.send({ topic, messages: [{ value: `${i}:${value}`, partition: 0 }] });
    await producer.disconnect();
    const dir = path.join(broker.dataDir, 'topics', topic, '0');
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.log')).length).toBeGreaterThan(2);
    broker = await broker.restart();
    const got = await consumeAll(broker.brokers, topic, 12);
    expect(got.map((g) => Number(g.value.split(':')[0]))).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });
});
