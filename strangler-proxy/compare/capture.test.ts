import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Exchange } from '../shadow-hook.ts';
import { CaptureWriter, readCapture } from './capture.ts';
import { defaultRedaction, redactDiffs } from './redact.ts';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'compare-capture-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

const exchange = (body?: unknown): Exchange => ({
  routeId: 'accounts',
  mode: 'shadow',
  servedBy: 'legacy',
  other: 'new',
  otherUpstream: 'http://127.0.0.1:1',
  request: {
    method: body ? 'POST' : 'GET',
    path: '/accounts/1?token=t0p&x=1',
    headers: [
      'authorization',
      'Bearer s3cret',
      'cookie',
      'sid=c00kie',
      'content-type',
      'application/json',
      'x-a',
      'b',
    ],
    body: body === undefined ? undefined : Buffer.from(JSON.stringify(body)),
    bodyTruncated: false,
  },
  response: { status: 200, headers: [], body: Buffer.from('{}'), truncated: false },
  startedAt: Date.parse('2026-01-01T00:00:00Z'),
  durationMs: 1,
  fellBack: false,
  dryRun: false,
});

describe('capture', () => {
  it('writes sampled requests redacted: credentials, query and JSON body fields', async () => {
    const file = path.join(dir, 'sub', 'capture.jsonl');
    const w = await new CaptureWriter({ file, sampleRate: 1 }).open();
    const redaction = { ...defaultRedaction, fields: [...defaultRedaction.fields, 'ssn'] };
    w.offer(exchange(), redaction);
    w.offer(exchange({ ssn: '111-22-3333', password: 'hunter2', name: 'Ann' }), redaction);
    await w.close();
    const text = await fs.readFile(file, 'utf8');
    for (const secret of ['s3cret', 'c00kie', 't0p', '111-22-3333', 'hunter2'])
      expect(text).not.toContain(secret);
    const [get, post] = await readCapture(file);
    expect(get).toMatchObject({
      routeId: 'accounts',
      method: 'GET',
      path: '/accounts/1?token=%5Bredacted%5D&x=1',
      headers: { authorization: '[redacted]', cookie: '[redacted]', 'x-a': 'b' },
      at: '2026-01-01T00:00:00.000Z',
    });
    expect(get!.bodyBase64).toBeUndefined();
    expect(JSON.parse(Buffer.from(post!.bodyBase64!, 'base64').toString())).toEqual({
      ssn: '[redacted]',
      password: '[redacted]',
      name: 'Ann',
    });
  });

  it('honours the sample rate and the request cap', async () => {
    const none = path.join(dir, 'none.jsonl');
    const w0 = await new CaptureWriter({ file: none, sampleRate: 0 }).open();
    for (let i = 0; i < 50; i++) w0.offer(exchange(), defaultRedaction);
    await w0.close();
    expect(await readCapture(none)).toEqual([]);
    const capped = path.join(dir, 'capped.jsonl');
    const w = await new CaptureWriter({ file: capped, sampleRate: 1, maxRequests: 3 }).open();
    for (let i = 0; i < 10; i++) w.offer(exchange(), defaultRedaction);
    await w.close();
    expect(await readCapture(capped)).toHaveLength(3);
  });

  it('a malformed capture line is an error naming the file and line', async () => {
    const file = path.join(dir, 'bad.jsonl');
    await fs.writeFile(file, '{"method":"GET","path":"/a"}\nnot json\n');
    await expect(readCapture(file)).rejects.toThrow(/bad\.jsonl:2: not a JSON object/);
    await fs.writeFile(file, '{"method":"GET","path":"a"}\n');
    await expect(readCapture(file)).rejects.toThrow(
      /bad\.jsonl:1: needs "method" and a "path" starting with "\/"/,
    );
    await expect(readCapture(path.join(dir, 'missing.jsonl'))).rejects.toMatchObject({
      code: 'PROXY_ERR_CAPTURE_FILE',
    });
  });
});

describe('redacted diffs', () => {
  it('a diff on a redacted field or header loses both values; other values are redacted inside', () => {
    const rules = { headers: ['set-cookie'], fields: ['token'] };
    expect(
      redactDiffs(
        [
          { path: '$.user.token', field: '$.user.token', kind: 'changed', legacy: 'a', new: 'b' },
          { path: "$.items[0]['token']", field: "$.items[*]['token']", kind: 'missing', legacy: 'a' },
          { path: 'header:set-cookie', field: 'header:set-cookie', kind: 'header', legacy: 'x', new: 'y' },
          { path: '$.user', field: '$.user', kind: 'extra', new: { token: 'c', name: 'n' } },
          { path: '$.tokens', field: '$.tokens', kind: 'changed', legacy: 1, new: 2 },
        ],
        rules,
      ),
    ).toEqual([
      {
        path: '$.user.token',
        field: '$.user.token',
        kind: 'changed',
        legacy: '[redacted]',
        new: '[redacted]',
      },
      { path: "$.items[0]['token']", field: "$.items[*]['token']", kind: 'missing', legacy: '[redacted]' },
      {
        path: 'header:set-cookie',
        field: 'header:set-cookie',
        kind: 'header',
        legacy: '[redacted]',
        new: '[redacted]',
      },
      {
        path: '$.user',
        field: '$.user',
        kind: 'extra',
        legacy: undefined,
        new: { token: '[redacted]', name: 'n' },
      },
      { path: '$.tokens', field: '$.tokens', kind: 'changed', legacy: 1, new: 2 },
    ]);
  });
});
