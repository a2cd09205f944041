import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../component-process.ts';
import { DatabaseError, databaseErrorCodes } from './errors.ts';

const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'database.md'), 'utf8');

describe('database error codes', () => {
  it.each(Object.entries(databaseErrorCodes))('%s is documented with its meaning', (code, meaning) => {
    expect(doc).toContain(`| \`${code}\` | ${meaning} |`);
  });

  it('docs/database.md names no code the catalog lacks', () => {
    expect([...new Set(doc.match(/DB_ERR_[A-Z_]+/g))].sort()).toEqual(Object.keys(databaseErrorCodes).sort());
  });

  it('every code raised under lib/database is in the catalog', () => {
    const dir = path.join(repoRoot, 'lib', 'database');
    const raised = fs
      .readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && f !== 'errors.ts')
      .flatMap((f) => fs.readFileSync(path.join(dir, f), 'utf8').match(/DB_ERR_[A-Z_]+/g) ?? []);
    expect(raised.length).toBeGreaterThan(0);
    for (const code of raised) expect(Object.keys(databaseErrorCodes)).toContain(code);
  });

  it('DatabaseError keeps its name and code', () => {
    expect(new DatabaseError('DB_ERR_SERVER_START', 'm')).toMatchObject({
      name: 'DatabaseError',
      code: 'DB_ERR_SERVER_START',
      retriable: false,
      message: 'm',
    });
  });
});
