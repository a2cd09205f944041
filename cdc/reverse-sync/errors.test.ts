import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/component-process.ts';
import { reverseSyncErrorCodes } from './errors.ts';

describe('reverse sync error codes', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'reverse-sync.md'), 'utf8');
  it.each(Object.entries(reverseSyncErrorCodes))('%s is documented with its meaning', (code, meaning) => {
    expect(doc).toContain(`| \`${code}\` | ${meaning} |`);
  });
  it('docs list no stale code', () => {
    const listed = [...doc.matchAll(/\| `(REVERSE_ERR_[A-Z_]+)` \|/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(reverseSyncErrorCodes).sort());
  });
});
