import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/component-process.ts';
import { writerMapErrorCodes } from './errors.ts';

describe('writer map error codes', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'writer-map.md'), 'utf8');
  it.each(Object.entries(writerMapErrorCodes))('%s is documented with its meaning', (code, meaning) => {
    expect(doc).toContain(`| \`${code}\` | ${meaning} |`);
  });
  it('docs list no stale code', () => {
    const listed = [...doc.matchAll(/\| `(WRITERS_ERR_[A-Z_]+)` \|/g)].map((m) => m[1]);
    expect(listed.sort()).toEqual(Object.keys(writerMapErrorCodes).sort());
  });
});
