import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { Kafka, logLevel } from 'kafkajs';

/** A kafkajs client for the test broker; quiet unless a test fails. */
export function kafkaClient(brokers: string[], clientId = 'it'): Kafka {
  return new Kafka({
    clientId,
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 5, initialRetryTime: 100 },
  });
}

export const uniqueName = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;

export async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A raw Kafka connection for codec-level tests: sends request frames (header v1) and reads
 * response frames as buffers (correlation id first).
 */
export class RawClient {
  private buffered = Buffer.alloc(0);
  private waiters: Array<(frame: Buffer) => void> = [];
  readonly closed: Promise<void>;
  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      while (this.buffered.length >= 4 && this.buffered.length >= 4 + this.buffered.readInt32BE(0)) {
        const size = this.buffered.readInt32BE(0);
        const frame = this.buffered.subarray(4, 4 + size);
        this.buffered = this.buffered.subarray(4 + size);
        this.waiters.shift()?.(frame);
      }
    });
    this.closed = new Promise((resolve) => socket.on('close', () => resolve()));
    socket.on('error', () => {});
  }

  static connect(port: number): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => resolve(new RawClient(socket)));
      socket.once('error', reject);
    });
  }

  /** Frames api_key, api_version, correlation_id, client_id 'raw' + body, and waits for the answer. */
  request(apiKey: number, apiVersion: number, correlationId: number, body: Buffer): Promise<Buffer> {
    const clientId = Buffer.from('raw');
    const header = Buffer.alloc(10);
    header.writeInt16BE(apiKey, 0);
    header.writeInt16BE(apiVersion, 2);
    header.writeInt32BE(correlationId, 4);
    header.writeInt16BE(clientId.length, 8);
    const payload = Buffer.concat([header, clientId, body]);
    const size = Buffer.alloc(4);
    size.writeInt32BE(payload.length);
    return this.send(Buffer.concat([size, payload]));
  }

  send(bytes: Buffer): Promise<Buffer> {
    const answer = new Promise<Buffer>((resolve) => this.waiters.push(resolve));
    this.socket.write(bytes);
    return answer;
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Kafka `string`: int16 length + UTF-8. */
export const kString = (s: string) => {
  const b = Buffer.from(s);
  const len = Buffer.alloc(2);
  len.writeInt16BE(b.length);
  return Buffer.concat([len, b]);
};
export const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
};
export const int16 = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(n);
  return b;
};

/** librdkafka 2.0.2 through Debian's kcat: tests that need it are skipped where it is missing. */
export const hasKcat = spawnSync('kcat', ['-V']).status === 0;

export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a client as a real process, feeding `input`; SIGKILL after `timeoutMs`. */
export function runProcess(
  command: string,
  args: string[],
  input?: string,
  timeoutMs = 20_000,
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn(command, args);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => {
      stdout += d;
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // Modes that read no input (kcat -L, -C) may exit before we close stdin: EPIPE there is
    // expected, and the exit code and output are what the tests judge.
    child.stdin.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE') stderr += `stdin: ${err.message}`;
    });
    child.stdin.end(input ?? '');
  });
}

/** kcat against `bootstrap` (host:port). */
export const kcat = (bootstrap: string, args: string[], input?: string, timeoutMs = 20_000) =>
  runProcess('kcat', ['-b', bootstrap, ...args], input, timeoutMs);

/**
 * Debian's python3-kafka (kafka-python 2.0.2) lives in the system Python's packages, which a
 * pyenv or venv `python3` earlier on PATH does not see: KAFKA_PYTHON names another interpreter.
 */
export const kafkaPython = process.env.KAFKA_PYTHON ?? '/usr/bin/python3';
export const hasKafkaPython =
  spawnSync(kafkaPython, ['-c', 'import kafka, snappy, lz4, zstandard']).status === 0;

/** test/broker/fixtures/kafka_python_client.py as a real process; its one JSON line parsed. */
export async function kafkaPythonClient<T>(
  bootstrap: string,
  args: string[],
  timeoutMs = 90_000,
): Promise<T> {
  const script = path.join(import.meta.dirname, 'fixtures', 'kafka_python_client.py');
  const res = await runProcess(kafkaPython, [script, bootstrap, ...args], undefined, timeoutMs);
  if (res.code !== 0)
    throw new Error(`kafka-python ${args.join(' ')} exited ${res.code}: ${res.stderr.slice(-2000)}`);
  return JSON.parse(res.stdout) as T;
}
