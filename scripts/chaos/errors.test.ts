import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/component-process.ts';
import { ChaosError, chaosErrorCodes } from './errors.ts';

const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'chaos.md'), 'utf8');

describe('chaos run error codes', () => {
  it.each(Object.entries(chaosErrorCodes))('%s is documented with its meaning', (code, meaning) => {
    expect(doc).toContain(`| \`${code}\` | ${meaning} |`);
  });

  it('docs/chaos.md names no code the catalog lacks', () => {
    expect([...new Set(doc.match(/CHAOS_ERR_[A-Z_]+/g))].sort()).toEqual(Object.keys(chaosErrorCodes).sort());
  });

  it('every code raised under scripts/chaos is in the catalog', () => {
    const dir = path.join(repoRoot, 'scripts', 'chaos');
    const raised = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'errors.ts')
      .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').match(/CHAOS_ERR_[A-Z_]+/g) ?? []);
    expect(raised.length).toBeGreaterThan(0);
    for (const code of raised) expect(Object.keys(chaosErrorCodes)).toContain(code);
  });

  it('ChaosError keeps its name and code', () => {
    expect(new ChaosError('CHAOS_ERR_RESTART', 'm')).toMatchObject({
      name: 'ChaosError',
      code: 'CHAOS_ERR_RESTART',
      retriable: false,
      message: 'm',
    });
  });
});
