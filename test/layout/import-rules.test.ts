import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/component-process.ts';
import {
  checkImports,
  components,
  formatViolation,
  installedExports,
  layerOf,
  parseImports,
  repositoryFiles,
} from './import-rules.ts';

/** The rules of import-rules.ts over every `.ts` file of the checkout (rules and table there). */
const files = repositoryFiles(repoRoot);
const result = checkImports(files, installedExports(repoRoot));

describe('import rules', () => {
  it('scanned the whole checkout, not an empty or partial one', () => {
    const layers = [...files.keys()].map(layerOf);
    const count = (layer: string) => layers.filter((l) => l === layer).length;
    expect(result.filesScanned).toBeGreaterThan(300);
    expect(count('runtime')).toBeGreaterThan(150);
    expect(count('scripts')).toBeGreaterThan(30);
    expect(count('test')).toBeGreaterThan(80);
    expect(result.importsScanned).toBeGreaterThan(1200);
    expect(result.repoEdges).toBeGreaterThan(800);
    expect(files.has('test/layout/import-rules.test.ts')).toBe(true);
    // A known import is seen where it is written.
    const cli = parseImports('scripts/db.ts', files.get('scripts/db.ts') ?? '').imports;
    expect(cli.map((i) => i.specifier)).toContain('../lib/database/private-server.ts');
  });

  it('every entry point in the component table exists', () => {
    const missing = Object.entries(components).flatMap(([folder, c]) =>
      (c.entryPoints ?? [])
        .map((entry) => `${folder}/${entry}`)
        .filter((file) => !fs.existsSync(path.join(repoRoot, file))),
    );
    expect(missing).toEqual([]);
  });

  it('no file breaks a rule', () => {
    const lines = result.violations.map(formatViolation);
    if (lines.length > 0) {
      expect.fail(`${lines.length} import rule violations:\n${lines.join('\n')}`);
    }
  });
});
