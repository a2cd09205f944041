import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Exchange } from '../shadow-hook.ts';
import { headerObject, type RedactionRules, redactHeaders, redactPath } from './redact.ts';

/**
 * Traffic capture for offline replay: a sample of compared requests, redacted, one JSON
 * object a line. Bodies are kept as base64 so a replay sends the same bytes (minus what
 * redaction removed from headers and query).
 */
export interface CapturedRequest {
  routeId: string;
  method: string;
  path: string;
  headers: Record<string, string>;
  bodyBase64?: string;
  at: string;
}

export class CaptureWriter {
  #out: WriteStream | undefined;
  #written = 0;

  constructor(private readonly options: { file: string; sampleRate: number; maxRequests?: number }) {}

  async open(): Promise<this> {
    await fs.mkdir(path.dirname(this.options.file), { recursive: true });
    this.#out = createWriteStream(this.options.file, { flags: 'a' });
    return this;
  }

  offer(exchange: Exchange, redaction: RedactionRules): void {
    if (!this.#out || Math.random() >= this.options.sampleRate) return;
    if (this.options.maxRequests !== undefined && this.#written >= this.options.maxRequests) return;
    const entry: CapturedRequest = {
      routeId: exchange.routeId,
      method: exchange.request.method,
      path: redactPath(exchange.request.path, redaction),
      headers: redactHeaders(headerObject(exchange.request.headers), redaction),
      bodyBase64: exchange.request.body?.toString('base64'),
      at: new Date(exchange.startedAt).toISOString(),
    };
    this.#out.write(`${JSON.stringify(entry)}\n`);
    this.#written++;
  }

  async close(): Promise<void> {
    const out = this.#out;
    this.#out = undefined;
    if (out) await new Promise<void>((resolve) => out.end(resolve));
  }
}

export class CaptureFileError extends Error {
  readonly code = 'PROXY_ERR_CAPTURE_FILE';
}

/** Reads a capture file; a malformed line is an error naming the line. */
export async function readCapture(file: string): Promise<CapturedRequest[]> {
  const text = await fs.readFile(file, 'utf8').catch((err: Error) => {
    throw new CaptureFileError(`cannot read capture file ${file}: ${err.message}`);
  });
  const out: CapturedRequest[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    let entry: CapturedRequest;
    try {
      entry = JSON.parse(line);
    } catch {
      throw new CaptureFileError(`${file}:${i + 1}: not a JSON object`);
    }
    if (typeof entry.method !== 'string' || typeof entry.path !== 'string' || !entry.path.startsWith('/')) {
      throw new CaptureFileError(`${file}:${i + 1}: needs "method" and a "path" starting with "/"`);
    }
    out.push(entry);
  });
  return out;
}
