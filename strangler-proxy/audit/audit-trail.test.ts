import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditTrail, reasonOf } from './audit-trail.ts';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'audit-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const d of dirs.splice(0)) await fs.rm(d, { recursive: true, force: true });
});

const change = (target: string, n: number) => ({
  actor: 'alice',
  action: 'flag.shift',
  target,
  reason: `step ${n}`,
  before: { mode: 'legacy', percent: 0 },
  after: { mode: 'canary', percent: n },
});

describe('audit trail', () => {
  it('keeps every entry in order, filters by target and keeps the newest N', async () => {
    const dir = await tempDir();
    const trail = await AuditTrail.open(dir);
    for (let i = 1; i <= 5; i++) await trail.append(change(i % 2 ? 'products' : 'orders', i));
    const all = await trail.read();
    expect(all.map((e) => e.reason)).toEqual(['step 1', 'step 2', 'step 3', 'step 4', 'step 5']);
    expect(new Set(all.map((e) => e.id)).size).toBe(5);
    expect((await trail.read({ target: 'orders' })).map((e) => e.reason)).toEqual(['step 2', 'step 4']);
    expect((await trail.read({ limit: 2 })).map((e) => e.reason)).toEqual(['step 4', 'step 5']);
    // another process opening the same folder reads the same trail
    expect((await (await AuditTrail.open(dir)).read()).length).toBe(5);
  });

  it('two writers on one file: every entry, whole lines', async () => {
    const dir = await tempDir();
    const [a, b] = [await AuditTrail.open(dir), await AuditTrail.open(dir)];
    await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).append(change(`r${i % 7}`, i))));
    const text = await fs.readFile(path.join(dir, 'audit.jsonl'), 'utf8');
    const lines = text.trimEnd().split('\n');
    expect(lines).toHaveLength(100);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(new Set((await a.read({ limit: 1000 })).map((e) => e.reason)).size).toBe(100);
  });

  it('cuts off a line torn by a crash mid-append, and the next entry starts on its own line', async () => {
    const dir = await tempDir();
    const trail = await AuditTrail.open(dir);
    await trail.append(change('products', 1));
    await fs.appendFile(path.join(dir, 'audit.jsonl'), '{"id":"torn","at":"2026-');
    const reopened = await AuditTrail.open(dir);
    expect((await reopened.read()).map((e) => e.reason)).toEqual(['step 1']);
    await reopened.append(change('products', 2));
    expect((await reopened.read()).map((e) => e.reason)).toEqual(['step 1', 'step 2']);
    expect((await fs.readFile(path.join(dir, 'audit.jsonl'), 'utf8')).split('\n')).toHaveLength(3);
  });

  it('takes the reason from the body, else the header, trimmed and capped', () => {
    expect(reasonOf(undefined, { reason: ' canary looks fine ' })).toBe('canary looks fine');
    expect(reasonOf('from the header', { to: '25' })).toBe('from the header');
    expect(reasonOf(['first', 'second'], undefined)).toBe('first');
    expect(reasonOf('   ', {})).toBeNull();
    expect(reasonOf(undefined, { reason: 'x'.repeat(900) })).toHaveLength(500);
  });
});
