import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../lib/component-process.ts';
import { SwitchError, switchErrorCodes } from './errors.ts';

describe('write switch error codes', () => {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'moving-writes.md'), 'utf8');
  const documented = new Set(doc.match(/SWITCH_ERR_[A-Z_]+/g));

  it.each(Object.keys(switchErrorCodes))('%s is documented in docs/moving-writes.md', (code) => {
    expect(documented.has(code)).toBe(true);
  });

  it('docs/moving-writes.md lists no stale code', () => {
    expect([...documented].filter((c) => !(c in switchErrorCodes))).toEqual([]);
  });

  it('SwitchError carries its code', () => {
    expect(new SwitchError('SWITCH_ERR_ABORTED', 'x')).toMatchObject({
      name: 'SwitchError',
      code: 'SWITCH_ERR_ABORTED',
    });
  });
});
