import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBroker, type TestBroker } from '../../cdc/broker/test-broker.ts';
import { hasKcat, kafkaClient, kcat as runKcat, uniqueName, until } from './support.ts';

let broker: TestBroker;
beforeAll(async () => {
  broker = await startTestBroker();
});
afterAll(async () => {
  await broker?.stop();
});

const kcat = (args: string[], input?: string, timeoutMs?: number) =>
  runKcat(broker.brokers[0]!, args, input, timeoutMs);

// -P/-C with CRC checks and -G with commits are in the shared client suite (client-suite.ts),
// run against this broker and Apache Kafka alike.
describe.skipIf(!hasKcat)('kcat (librdkafka 2.0.2)', () => {
  it('-L lists broker 0 as controller and the topics', async () => {
    const topic = uniqueName('kl');
    await kcat(['-P', '-t', topic, '-p', '0'], 'x\n');
    const res = await kcat(['-L']);
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`broker 0 at ${broker.brokers[0]} (controller)`);
    expect(res.stdout).toContain(`topic "${topic}" with 3 partitions`);
    // kcat -L runs a librdkafka *producer*, which asks for auto-creation like Kafka's producers
    // do; with that switched off, a lookup of a missing topic reports it and creates nothing.
    const missing = uniqueName('nosuch');
    const lookup = await kcat(['-L', '-t', missing, '-X', 'allow.auto.create.topics=false']);
    expect(lookup.stdout).toMatch(/Unknown topic or partition/i);
    expect((await kcat(['-L'])).stdout).not.toContain(missing);
    const read = await kcat(['-C', '-t', missing, '-p', '0', '-e']);
    expect(read.stderr).toMatch(/Unknown topic or partition/i);
    expect((await kcat(['-L'])).stdout).not.toContain(missing); // a consumer creates nothing either
  });

  it('passes compressed batches through untouched (gzip, snappy, lz4)', async () => {
    const topic = uniqueName('kz');
    const lines = Array.from({ length: 50 }, (_, i) => `${i}:${'z'.repeat(500)}`).join('\n');
    for (const codec of ['gzip', 'snappy', 'lz4']) {
      const res = await kcat(['-P', '-t', topic, '-p', '0', '-z', codec], `${lines}\n`);
      expect(res.code).toBe(0);
    }
    const consumed = await kcat([
      '-C',
      '-t',
      topic,
      '-p',
      '0',
      '-o',
      'beginning',
      '-e',
      '-X',
      'check.crcs=true',
    ]);
    expect(consumed.code).toBe(0);
    expect(consumed.stdout.trim().split('\n')).toHaveLength(150);
    // The stored batches are the compressed ones kcat sent (attributes codec bits 1, 2, 3).
    const dir = path.join(broker.dataDir, 'topics', topic, '0');
    const log = fs.readFileSync(path.join(dir, fs.readdirSync(dir).find((f) => f.endsWith('.log'))!));
    const codecs = new Set<number>();
    for (let at = 0; at < log.length; at += 12 + log.readInt32BE(at + 8))
      codecs.add(log.readInt16BE(at + 21) & 7);
    expect([...codecs].sort()).toEqual([1, 2, 3]);
    // kafkajs decodes gzip natively (not snappy/lz4): it reads a kcat gzip batch too.
    const gzTopic = uniqueName('kgz');
    expect((await kcat(['-P', '-t', gzTopic, '-p', '0', '-z', 'gzip'], `${lines}\n`)).code).toBe(0);
    const consumer = kafkaClient(broker.brokers).consumer({ groupId: uniqueName('g'), maxWaitTimeInMs: 200 });
    await consumer.connect();
    await consumer.subscribe({ topics: [gzTopic], fromBeginning: true });
    const gzipped: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        gzipped.push(message.value!.toString());
      },
    });
    await until('the gzip batch through kafkajs', () => gzipped.length >= 50);
    await consumer.disconnect();
    expect(gzipped.map((v) => Number(v.split(':')[0]))).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  it('-C -o end sees a new produce at once; killing kcat while its fetch is parked is harmless', async () => {
    const topic = uniqueName('kend');
    await kcat(['-P', '-t', topic, '-p', '0'], 'old\n');
    const child = spawn('kcat', [
      '-b',
      broker.brokers[0]!,
      '-u', // unbuffered: stdout is a pipe here
      '-C',
      '-t',
      topic,
      '-p',
      '0',
      '-o',
      'end',
      '-f',
      '%s\n',
    ]);
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    await new Promise((r) => setTimeout(r, 1500)); // connected and parked at the end
    const producer = kafkaClient(broker.brokers).producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'new', partition: 0 }] });
    await producer.disconnect();
    // kcat may write the value and its newline in two writes: wait for the whole line
    await until('kcat printed the new message', () => out.includes('new\n'), 5000);
    child.kill('SIGKILL'); // while its next fetch is parked
    await new Promise((r) => setTimeout(r, 700)); // the parked fetch's timer fires on a dead socket
    expect(out).toBe('new\n');
    expect(broker.process.output()).not.toContain('request handler failed');
    expect(broker.process.child.exitCode).toBeNull();
  });

  it('-P of a 1 MiB message and -C reads it back whole', async () => {
    const topic = uniqueName('kbig');
    const file = path.join(os.tmpdir(), `${topic}.bin`);
    fs.writeFileSync(file, 'x'.repeat(1024 * 1024));
    try {
      const p = await kcat(['-P', '-t', topic, '-p', '0', '-X', 'message.max.bytes=2000000', file]);
      expect(p.code).toBe(0);
      const c = await kcat(['-C', '-t', topic, '-p', '0', '-o', 'beginning', '-e', '-f', '%o %S\n']);
      expect(c.stdout).toBe('0 1048576\n');
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('two -G members split the partitions; when one leaves the survivor gets them all', async () => {
    const topic = uniqueName('kg2');
    const group = uniqueName('g-k2');
    const admin = kafkaClient(broker.brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 4 }] });
    await admin.disconnect();
    const member = () => {
      const child = spawn('kcat', ['-b', broker.brokers[0]!, '-G', group, topic]);
      const out = { text: '' };
      child.stderr.on('data', (d) => {
        out.text += d;
      });
      child.stdout.resume();
      return { child, out };
    };
    const lastAssignment = (text: string) => {
      const lines = text.split('\n').filter((l) => l.includes('assigned:'));
      return (lines.at(-1)?.match(/\[\d+\]/g) ?? []).length;
    };
    const a = member();
    try {
      await until('first member owns 4', () => lastAssignment(a.out.text) === 4, 30_000);
      const b = member();
      try {
        await until(
          'split 2/2',
          () => lastAssignment(a.out.text) === 2 && lastAssignment(b.out.text) === 2,
          40_000,
        );
        expect(a.out.text).toContain('revoked');
      } finally {
        b.child.kill('SIGINT'); // kcat leaves the group on SIGINT
      }
      await until(
        'survivor owns 4 again',
        () => lastAssignment(a.out.text) === 4 && a.out.text.split('assigned:').length >= 4,
        40_000,
      );
    } finally {
      a.child.kill('SIGINT');
    }
  }, 120_000);

  it('a kcat member cannot join a kafkajs group (INCONSISTENT_GROUP_PROTOCOL); the group keeps working', async () => {
    const topic = uniqueName('kmix');
    const groupId = uniqueName('g-mix');
    const kafka = kafkaClient(broker.brokers);
    const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 200 });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => {
      joined = true;
    });
    const got: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        got.push(message.value!.toString());
      },
    });
    await until('kafkajs member joined', () => joined);
    const res = await kcat(['-G', groupId, '-e', topic], undefined, 8000);
    expect(res.stderr).toMatch(/inconsistent group protocol|INCONSISTENT_GROUP_PROTOCOL/i);
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'still-works' }] });
    await producer.disconnect();
    await until('kafkajs member still consumes', () => got.includes('still-works'));
    await consumer.disconnect();
  }, 60_000);
});
