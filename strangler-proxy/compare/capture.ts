import { createWriteStream, type WriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ToolkitError } from '../../lib/errors.ts';
import type { Exchange } from '../shadow-hook.ts';
import { headerObject, type RedactionRules, redactHeaders, redactJson, redactPath } from './redact.ts';

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
    const headers = headerObject(exchange.request.headers);
    const entry: CapturedRequest = {
      routeId: exchange.routeId,
      method: exchange.request.method,
      path: redactPath(exchange.request.path, redaction),
      headers: redactHeaders(headers, redaction),
      bodyBase64: capturedBody(exchange.request.body, headers['content-type'], redaction),
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

/** A JSON body is kept with its redacted fields replaced (a replay sends that); others as sent. */
function capturedBody(body: Buffer | undefined, contentType: string | undefined, redaction: RedactionRules) {
  if (!body || body.length === 0) return undefined;
  if (contentType && /\bjson\b/i.test(contentType)) {
    try {
      return Buffer.from(JSON.stringify(redactJson(JSON.parse(body.toString('utf8')), redaction))).toString(
        'base64',
      );
    } catch {
      // not valid JSON after all: kept as sent
    }
  }
  return body.toString('base64');
}

export class CaptureFileError extends ToolkitError {
  constructor(message: string) {
    super('PROXY_ERR_CAPTURE_FILE', message);
  }
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
