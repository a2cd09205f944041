import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { historyPage, publishBenchmark } from './report.ts';

describe('publishBenchmark', () => {
  let docsDir: string;
  beforeEach(async () => {
    docsDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-report-'));
    vi.spyOn(console, 'log').mockImplementation(() => undefined);
  });
  afterEach(async () => {
    vi.restoreAllMocks();
    await fs.rm(docsDir, { recursive: true, force: true });
  });

  const run = (figure: number, at: string) =>
    publishBenchmark({
      id: 'proxy',
      title: 'Strangler proxy vs nginx',
      command: 'npm run bench:proxy',
      markdown: `| req/s |\n| ---: |\n| ${figure} |`,
      summary: { rps: figure },
      docsDir,
      at: new Date(at),
    });

  it('keeps one current section in benchmarks.md and appends every run, dated, to the history page', async () => {
    await fs.writeFile(
      path.join(docsDir, 'benchmarks.md'),
      '# Benchmarks\n\n<!-- bench:broker:start -->\n## Broker\nkept\n<!-- bench:broker:end -->\n',
    );
    await fs.mkdir(path.join(docsDir, 'history'));
    await fs.writeFile(
      path.join(docsDir, 'history', 'proxy.md'),
      '# strangler-proxy: history\n\nolder entries\n',
    );

    await run(1111, '2026-12-01T10:00:00.000Z');
    await run(2222, '2026-12-02T11:30:00.000Z');

    const current = await fs.readFile(path.join(docsDir, 'benchmarks.md'), 'utf8');
    expect(current).toContain('## Broker\nkept');
    expect(current.match(/<!-- bench:proxy:start -->/g)).toHaveLength(1);
    expect(current).toContain('| 2222 |');
    expect(current).not.toContain('| 1111 |');
    expect(current).toContain('Run: 2026-12-02T11:30:00.000Z on ');
    expect(current).toContain('{"rps":2222}');

    const history = await fs.readFile(path.join(docsDir, 'history', 'proxy.md'), 'utf8');
    expect(history.startsWith('# strangler-proxy: history\n\nolder entries\n')).toBe(true);
    const first = history.indexOf('## 2026-12-01 10:00 UTC: `npm run bench:proxy`');
    const second = history.indexOf('## 2026-12-02 11:30 UTC: `npm run bench:proxy`');
    expect(first).toBeGreaterThan(0);
    expect(second).toBeGreaterThan(first);
    expect(history.slice(first, second)).toContain('| 1111 |');
    expect(history.slice(second)).toContain('{"rps":2222}');
  });

  it('starts both files when they do not exist yet', async () => {
    await run(3333, '2026-12-03T00:00:00.000Z');
    const current = await fs.readFile(path.join(docsDir, 'benchmarks.md'), 'utf8');
    expect(current).toMatch(/^# Benchmarks\n/);
    expect(current).toContain('| 3333 |');
    const history = await fs.readFile(path.join(docsDir, 'history', 'proxy.md'), 'utf8');
    expect(history).toContain('## 2026-12-03 00:00 UTC: `npm run bench:proxy`');
  });

  it("names each bench's history page after its component's reference page", () => {
    expect(['broker', 'proxy', 'extracted', 'cdc', 'compare', 'isolation'].map(historyPage)).toEqual([
      'broker',
      'proxy',
      'extracted',
      'connector',
      'compare',
      'proxy',
    ]);
  });
});
