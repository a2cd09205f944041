import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../lib/component-process.ts';

/** An invalid configuration stops the service at start, naming every bad variable. */
function run(script: string, env: Record<string, string>) {
  return spawnSync(process.execPath, [path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs'), script], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('extracted service configuration', () => {
  it.each([
    ['extracted/catalog/main.ts', 'CATALOG'],
    ['extracted/orders/main.ts', 'ORDERS'],
  ])('%s refuses bad values and names each variable', (script, prefix) => {
    const result = run(script, {
      [`${prefix}_PORT`]: 'abc',
      [`${prefix}_DB`]: 'bad-name!',
      KAFKA_BROKERS: 'nohostport',
      CDC_TOPIC_PREFIX: 'a b',
      SOURCE_MYSQL_URL: 'postgres://nope',
    });
    expect(result.status).toBe(2);
    for (const name of [
      `${prefix}_PORT`,
      `${prefix}_DB`,
      'KAFKA_BROKERS',
      'CDC_TOPIC_PREFIX',
      'SOURCE_MYSQL_URL',
    ])
      expect(result.stderr).toContain(name);
  });
});
