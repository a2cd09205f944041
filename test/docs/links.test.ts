import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * The documentation stays navigable and self-contained: every relative link points at a file
 * of the repository, every `#anchor` at a heading of its target (GitHub's slugs), reference
 * pages name only repository paths that exist, and nothing cites a file outside the repository
 * or an issue number (a reader of the repository has neither).
 */

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function markdownFiles(dir: string): string[] {
  return fs
    .readdirSync(path.join(root, dir), { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory()
        ? markdownFiles(path.join(dir, e.name))
        : e.name.endsWith('.md')
          ? [path.join(dir, e.name)]
          : [],
    );
}

const files = ['README.md', 'CONTRIBUTING.md', ...markdownFiles('docs')];
const text = new Map(files.map((f) => [f, fs.readFileSync(path.join(root, f), 'utf8')]));
/** History pages record the past: they may name files that have since moved or gone. */
const isReference = (file: string) => !file.startsWith(`docs${path.sep}history${path.sep}`);

/** The text outside fenced code blocks, line numbers kept (fenced lines become empty). */
function prose(markdown: string): string[] {
  let fence: string | undefined;
  return markdown.split('\n').map((line) => {
    const marker = /^\s*(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence === undefined && marker) {
      fence = marker[0]!;
      return '';
    }
    if (fence !== undefined) {
      if (marker?.[0] === fence) fence = undefined;
      return '';
    }
    return line;
  });
}

/** GitHub's heading ids: rendered text, lower case, punctuation dropped, spaces as hyphens, repeats numbered. */
function anchorsOf(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose(markdown)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading !== undefined) {
      const rendered = heading.replace(/\[([^\]]*)\]\([^)]*\)/g, '$1').replace(/[`*]/g, '');
      const base = rendered
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
        .replace(/ /g, '-');
      const n = seen.get(base) ?? 0;
      seen.set(base, n + 1);
      anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    for (const m of line.matchAll(/<a\s+(?:id|name)="([^"]+)"/g)) anchors.add(m[1]!);
  }
  return anchors;
}

interface Link {
  file: string;
  line: number;
  target: string;
}

function linksOf(file: string): Link[] {
  const links: Link[] = [];
  prose(text.get(file)!).forEach((raw, i) => {
    const line = raw.replace(/`[^`]*`/g, '');
    for (const m of line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ file, line: i + 1, target: m[1]! });
    }
    const ref = /^\s*\[[^\]]+\]:\s*(\S+)/.exec(line);
    if (ref) links.push({ file, line: i + 1, target: ref[1]! });
  });
  return links.filter((l) => !/^[a-z][a-z0-9+.-]*:/i.test(l.target));
}

const links = files.flatMap(linksOf);

function problemOf(link: Link): string | undefined {
  const [pathPart = '', anchor] = link.target.split('#', 2);
  const target =
    pathPart === ''
      ? path.join(root, link.file)
      : path.resolve(root, path.dirname(link.file), decodeURI(pathPart));
  const inside = path.relative(root, target);
  if (inside.startsWith('..') || path.isAbsolute(inside)) return 'points outside the repository';
  if (!fs.existsSync(target)) return 'points at a file that does not exist';
  if (anchor === undefined) return undefined;
  if (!target.endsWith('.md')) return 'has an anchor into a file that is not markdown';
  const markdown = text.get(inside) ?? fs.readFileSync(target, 'utf8');
  return anchorsOf(markdown).has(decodeURIComponent(anchor))
    ? undefined
    : `has no heading #${anchor} in ${inside}`;
}

describe('documentation links', () => {
  it('reads README.md, CONTRIBUTING.md and every page under docs/', () => {
    expect(files).toContain(path.join('docs', 'proxy.md'));
    expect(
      files.filter((f) => f.startsWith(`docs${path.sep}history${path.sep}`)).length,
    ).toBeGreaterThanOrEqual(5);
    expect(files.length).toBeGreaterThanOrEqual(18);
  });

  it('every relative link resolves to a repository file, and every #anchor to one of its headings', () => {
    const broken = links.flatMap((l) => {
      const problem = problemOf(l);
      return problem ? [`${l.file}:${l.line} ${l.target} ${problem}`] : [];
    });
    expect(broken).toEqual([]);
    // Evidence that the check ran over real links, not over nothing.
    expect(links.length).toBeGreaterThanOrEqual(60);
    expect(links.filter((l) => l.target.includes('#')).length).toBeGreaterThanOrEqual(20);
    expect(new Set(links.map((l) => l.file)).size).toBeGreaterThanOrEqual(12);
  });

  it('the slugger matches GitHub on the headings the docs use', () => {
    expect([
      ...anchorsOf(
        '## Several processes (`PROXY_WORKERS`)\n## Comparison engine: pairs/s and client latency\n## A\n## A',
      ),
    ]).toEqual([
      'several-processes-proxy_workers',
      'comparison-engine-pairss-and-client-latency',
      'a',
      'a-1',
    ]);
    expect(problemOf({ file: 'README.md', line: 1, target: '../outside.md' })).toBe(
      'points outside the repository',
    );
    expect(problemOf({ file: 'README.md', line: 1, target: 'docs/proxy.md#no-such-heading' })).toMatch(
      /no heading/,
    );
  });

  it('nothing cites a file outside the repository or an issue number', () => {
    // The outside files' names in character classes, so a grep for them finds only real citations.
    const banned =
      /design[.]md|shared[/]reference|debezium-mysql-event[s]|kafka-broker-subse[t]|\.\.\/shared\/|[Ii]ssue [0-9]+|(?<![\w&/])#[0-9]+\b/;
    const found = files.flatMap((f) =>
      text
        .get(f)!
        .split('\n')
        .flatMap((line, i) => (banned.test(line) ? [`${f}:${i + 1} ${line.trim()}`] : [])),
    );
    expect(found).toEqual([]);
  });

  it('reference pages name only repository paths that exist', () => {
    const topFolders = fs
      .readdirSync(root, { withFileTypes: true })
      .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
      .map((e) => e.name);
    const pattern = new RegExp(`(?<![\\w.@/-])(?:${topFolders.join('|')})/[\\w./-]*`, 'g');
    const named = files.filter(isReference).flatMap((f) =>
      text
        .get(f)!
        .split('\n')
        .flatMap((line, i) =>
          [...line.matchAll(pattern)].map((m) => ({
            where: `${f}:${i + 1}`,
            name: m[0].replace(/[.,]+$/, ''),
          })),
        ),
    );
    const missing = named
      .filter(({ name }) => !fs.existsSync(path.join(root, name)))
      .map(({ where, name }) => `${where} ${name}`);
    expect(missing).toEqual([]);
    expect(named.length).toBeGreaterThanOrEqual(100);
  });
});
