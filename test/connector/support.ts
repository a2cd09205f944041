import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import mysql from 'mysql2/promise';
import type { TestBroker } from '../../cdc/broker/test-broker.ts';
import { parseLosslessJson } from '../../cdc/consumer/lossless-json.ts';
import { type ComponentProcess, repoRoot, startComponent } from '../../lib/component-process.ts';
import { freePort, waitFor } from '../../lib/net.ts';
import type { TestDatabase } from '../support/database.ts';

/**
 * Shared pieces of the connector's end-to-end tests: the connector as a real process, a real
 * kafkajs consumer that records every message, and a lossless JSON view of Debezium's output.
 * Expected values in the tests come from Debezium's own documentation of its MySQL and MariaDB
 * connectors (data change events, data type mappings), never from what the connector printed.
 */
export const connectorScript = 'cdc/connector/main.ts';
if (!existsSync(path.join(repoRoot, connectorScript)))
  throw new Error(`${connectorScript} is missing: the connector tests cannot run (they must fail, not skip)`);
/** Always true once this module loaded (it throws above otherwise); kept for types.test.ts's skipIf. */
export const hasConnector = true;

export interface ConnectorStatus {
  state: 'starting' | 'snapshot' | 'streaming' | 'halted' | 'stopping' | 'failed';
  connector: 'mariadb' | 'mysql';
  position: { file: string; pos: number; gtid?: string | null; gtids?: string | null };
  snapshot: {
    running: boolean;
    table: string | null;
    rowsDone: number;
    rowsTotal: number;
    completed: boolean;
  };
  eventsTotal: number;
  eventsPerSecond: number;
  lastEventTsMs: number | null;
  lagMs: number | null;
  error?: string;
  /** Set while halted on a column it must not encode (docs/connector.md, Unsupported columns). */
  alarm?: { code: string; message: string; table?: string; column?: string; type?: string };
}

export interface ConnectorRun {
  proc: ComponentProcess;
  port: number;
  env: Record<string, string>;
  status(): Promise<ConnectorStatus>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

const uniqueServerId = () => String(100_000 + Math.floor(Math.random() * 3_000_000_000));

/** The environment of one connector that captures only `db`, with its own offsets directory. */
export async function connectorEnv(options: {
  db: TestDatabase;
  broker: TestBroker;
  prefix: string;
  offsetsDir?: string;
  extra?: Record<string, string>;
}): Promise<Record<string, string>> {
  return {
    MYSQL_URL: options.db.serverUrl,
    SHOP_DB: options.db.name,
    KAFKA_BROKERS: options.broker.brokers.join(','),
    CONNECTOR_PORT: String(await freePort()),
    CONNECTOR_SERVER_ID: uniqueServerId(),
    CONNECTOR_OFFSETS_DIR: options.offsetsDir ?? (await tempDir('cdc-offsets-')),
    LOG_LEVEL: 'warn',
    CDC_TOPIC_PREFIX: options.prefix,
    CDC_DATABASE_INCLUDE_LIST: options.db.name,
    ...options.extra,
  };
}

export function tempDir(prefix: string): Promise<string> {
  return fs.mkdtemp(path.join(os.tmpdir(), prefix));
}

export async function startConnector(env: Record<string, string>): Promise<ConnectorRun> {
  const port = Number(env.CONNECTOR_PORT);
  const proc = await startComponent({
    name: `connector:${env.CDC_TOPIC_PREFIX ?? 'legacy'}`,
    script: connectorScript,
    env,
    readyUrl: `http://127.0.0.1:${port}/health`,
    readyTimeoutMs: 60_000,
  });
  return {
    proc,
    port,
    env,
    async status() {
      const res = await fetch(`http://127.0.0.1:${port}/status`);
      if (!res.ok) throw new Error(`/status answered ${res.status}`);
      return (await res.json()) as ConnectorStatus;
    },
    stop: (signal = 'SIGTERM') => proc.stop(signal),
  };
}

/** Waits until the connector reports streaming with its snapshot (if any) completed. */
export async function waitStreaming(run: ConnectorRun, timeoutMs = 60_000): Promise<ConnectorStatus> {
  return waitFor(
    'the connector to stream',
    async () => {
      const s = await run.status();
      if (s.state !== 'streaming') throw new Error(`state ${s.state}${s.error ? `: ${s.error}` : ''}`);
      return s;
    },
    { timeoutMs, intervalMs: 100 },
  );
}

export interface ExitResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** True when /health answered 2xx at any time while the process ran. */
  healthAnswered: boolean;
}

/** Runs the connector expecting it to stop on its own (a start error); SIGKILL after `timeoutMs`. */
export async function runUntilExit(env: Record<string, string>, timeoutMs = 45_000): Promise<ExitResult> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, connectorScript)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
  let healthAnswered = false;
  let running = true;
  const port = env.CONNECTOR_PORT;
  const poll = (async () => {
    while (running && port) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/health`);
        await res.body?.cancel();
        if (res.ok) healthAnswered = true;
      } catch {
        // not listening (yet)
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.once('exit', (c, s) => resolve([c, s])),
  );
  clearTimeout(timer);
  running = false;
  await poll;
  return { code, signal, stdout, stderr, healthAnswered };
}

export interface Message {
  topic: string;
  partition: number;
  offset: string;
  /** Raw Kafka key/value text; null is a Kafka null. */
  key: string | null;
  value: string | null;
  headers: Record<string, string>;
}

/** A kafkajs group consumer (fresh group, from the beginning) that keeps every message it reads. */
export class Collector {
  readonly messages: Message[] = [];
  private constructor(private readonly consumer: Consumer) {}

  static async start(broker: TestBroker, topics: string[]): Promise<Collector> {
    const kafka = new Kafka({ brokers: broker.brokers, logLevel: logLevel.NOTHING, clientId: 'cdc-test' });
    const consumer = kafka.consumer({
      groupId: `cdc-test-${Date.now()}-${Math.random().toString(36).slice(2)}`,
      maxWaitTimeInMs: 100,
      allowAutoTopicCreation: true,
    });
    const collector = new Collector(consumer);
    await consumer.connect();
    await consumer.subscribe({ topics, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(message.headers ?? {})) {
          if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v);
        }
        collector.messages.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key === null ? null : message.key.toString('utf8'),
          value: message.value === null ? null : message.value.toString('utf8'),
          headers,
        });
      },
    });
    return collector;
  }

  on(topic: string): Message[] {
    return this.messages.filter((m) => m.topic === topic);
  }

  async until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 60_000): Promise<T> {
    return waitFor(
      what,
      async () => {
        const result = probe();
        if (result === undefined || result === false) {
          throw new Error(`${this.messages.length} messages read so far`);
        }
        return result;
      },
      { timeoutMs, intervalMs: 100 },
    );
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect().catch(() => undefined);
  }
}

export type Json = null | boolean | number | bigint | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

/** Debezium writes int64 as plain JSON numbers that may exceed 2^53: keep those exact (BigInt). */
export function parse(text: string): Json {
  return parseLosslessJson(text) as Json;
}

export interface Envelope {
  schema: JsonObject;
  payload: JsonObject;
}

// Parsed once per message: convergence checks re-read tens of thousands of events many times.
const parsedValues = new WeakMap<Message, Envelope>();
const parsedKeys = new WeakMap<Message, JsonObject>();

export function envelope(message: Message): Envelope {
  if (message.value === null) throw new Error(`tombstone at ${message.topic}@${message.offset}`);
  let parsed = parsedValues.get(message);
  if (!parsed) {
    parsed = parse(message.value) as unknown as Envelope;
    parsedValues.set(message, parsed);
  }
  return parsed;
}

export function keyPayload(message: Message, schemas = true): JsonObject | null {
  if (message.key === null) return null;
  let parsed = parsedKeys.get(message);
  if (!parsed) {
    parsed = parse(message.key) as JsonObject;
    parsedKeys.set(message, parsed);
  }
  return schemas ? (parsed.payload as JsonObject) : parsed;
}

const stable = (v: unknown) => JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `${x}n` : x));

/**
 * The state a compacting consumer ends up with: for every key the last after-image, or
 * undefined when the last event was a delete or tombstone. Events of one key share a partition,
 * and the collector appends each partition in offset order, so arrival order is key order.
 */
export function lastImages(messages: Message[], keySchemas = true): Map<string, JsonObject | undefined> {
  const state = new Map<string, JsonObject | undefined>();
  for (const m of messages) {
    const key = stable(keyPayload(m, keySchemas));
    if (m.value === null) {
      state.set(key, undefined);
      continue;
    }
    const { payload } = envelope(m);
    state.set(key, payload.op === 'd' ? undefined : (payload.after as JsonObject));
  }
  return state;
}

export const keyOf = (payload: Record<string, unknown>) => stable(payload);

export async function connect(url: string): Promise<mysql.Connection> {
  const conn = await mysql.createConnection({
    uri: url,
    multipleStatements: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    dateStrings: true,
  });
  // TIMESTAMP literals in the tests are UTC instants.
  await conn.query("SET time_zone = '+00:00'");
  return conn;
}

export async function masterStatus(conn: mysql.Connection): Promise<{ file: string; pos: number }> {
  const [rows] = await conn.query<mysql.RowDataPacket[]>('SHOW MASTER STATUS');
  return { file: String(rows[0]!.File), pos: Number(rows[0]!.Position) };
}

/** The envelope's payload fields in Debezium 3.x order (its change event values). */
export const envelopeFields = ['before', 'after', 'source', 'transaction', 'op', 'ts_ms', 'ts_us', 'ts_ns'];

/** The JsonConverter order of a schema object's keys (Kafka Connect's JsonConverter): type, fields, optional, name, version, parameters, default, field. */
export const schemaKeyOrder = [
  'type',
  'fields',
  'items',
  'optional',
  'name',
  'version',
  'doc',
  'parameters',
  'default',
  'field',
];

export function keysInSchemaOrder(schema: JsonObject): boolean {
  const keys = Object.keys(schema);
  const ranks = keys.map((k) => schemaKeyOrder.indexOf(k));
  return ranks.every((r, i) => r >= 0 && (i === 0 || r > ranks[i - 1]!));
}

export function randomPrefix(base: string): string {
  return `${base}${Math.random().toString(36).slice(2, 7)}`;
}
