import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import ts from 'typescript';

/**
 * The repository's import rules as plain functions over file texts, so that the suite can run
 * them on the checkout (import-rules.test.ts) and on small in-memory examples
 * (import-rules-logic.test.ts) alike.
 *
 * (a) runtime code never imports scripts/ or test/; scripts/ never imports test/.
 * (b) a component imports only the components it depends on, and only through their entry
 *     points (foundation folders file by file).
 * (c) no library internals: no `require.cache`, no package subpath its `exports` does not offer,
 *     no import whose specifier is computed (it would slip past this check).
 * (d) no cycle between the component folders of runtime code, and version files (`v2.ts`)
 *     import only older versions of their own folder.
 */

export interface Component {
  /** Folders (components) whose files this one may import. */
  mayImport: readonly string[];
  /** Files (relative to the component folder) other components may import; absent = any file. */
  entryPoints?: readonly string[];
}
export type ComponentTable = Readonly<Record<string, Component>>;

/** Where runtime code lives; anything else is scripts, tests or tooling. */
export const runtimeRoots = ['lib', 'contract', 'cdc', 'strangler-proxy', 'extracted', 'legacy-monolith'];

const foundation = (...mayImport: string[]): Component => ({ mayImport });

/**
 * Every component, what it may import and its public files. Foundation folders have no entry
 * list: they are imported file by file. Scripts may use every runtime component's entry points;
 * tests may import anything and are not listed. Entry points are the files something outside
 * the component imports today; a component run only as a process lists none.
 */
export const components: ComponentTable = {
  lib: foundation(),
  contract: foundation('lib'),
  'cdc/kafka-protocol': foundation('lib'),
  'cdc/debezium': foundation('lib'),
  // Benches embed a broker in process.
  'cdc/broker': { mayImport: ['lib', 'cdc/kafka-protocol'], entryPoints: ['test-broker.ts'] },
  'cdc/connector': { mayImport: ['lib', 'cdc/kafka-protocol', 'cdc/debezium'], entryPoints: [] },
  // The consumer labels each applied event in the form of the source-position header (contract/).
  'cdc/consumer': { mayImport: ['lib', 'contract', 'cdc/debezium'], entryPoints: ['index.ts'] },
  // The writer map reads the change topics through the consumer library and the monolith's SQL tag (contract/).
  'cdc/writer-map': {
    mayImport: ['lib', 'contract', 'cdc/consumer', 'cdc/debezium'],
    entryPoints: ['index.ts'],
  },
  // The reverse applier: the catalog's store changes back into legacy's tables (the service
  // supplies the mapping); client.ts is what `strangler move-writes` drives it with.
  'cdc/reverse-sync': {
    mayImport: ['lib', 'contract', 'cdc/consumer', 'cdc/debezium'],
    entryPoints: ['index.ts', 'client.ts'],
  },
  'legacy-monolith': {
    mayImport: ['lib', 'contract'],
    // index.ts for embedding; the seed CLI, load generator and extracted bench take the schema,
    // seed and its word lists and random source without loading the HTTP app.
    entryPoints: [
      'index.ts',
      'config.ts',
      'migrations/index.ts',
      'seed/generate.ts',
      'seed/seed-shop.ts',
      'seed/random.ts',
      'seed/catalog-words.ts',
    ],
  },
  'extracted/service-kit': {
    mayImport: ['lib', 'contract', 'cdc/consumer'],
    // dry-run.ts: the services' writes run through it (a dry run rolls the whole handler back)
    entryPoints: [
      'run-service.ts',
      'service-config.ts',
      'store.ts',
      'dry-run.ts',
      'testing/debezium-publisher.ts',
    ],
  },
  // The extracted bench runs each service's projection in process against its own store.
  'extracted/catalog': {
    mayImport: ['lib', 'contract', 'cdc/consumer', 'cdc/reverse-sync', 'extracted/service-kit'],
    entryPoints: ['config.ts', 'data-access/migrations.ts', 'entry-points/catalog-projection.ts'],
  },
  'extracted/orders': {
    mayImport: ['lib', 'contract', 'cdc/consumer', 'extracted/service-kit'],
    entryPoints: ['data-access/migrations.ts', 'entry-points/orders-projection.ts'],
  },
  'strangler-proxy': {
    mayImport: ['lib', 'contract'],
    // The `strangler` CLI and the rehearsal drive flags and routes the way the proxy reads them;
    // the compare bench feeds the engine the proxy's own Exchange records (shadow-hook.ts).
    entryPoints: [
      'compare/index.ts',
      'shadow-hook.ts',
      'config.ts',
      'cli/shift.ts',
      // the audit entry's shape, for `strangler history` and the admin client
      'audit/audit-trail.ts',
      'flags/flag-mapping.ts',
      'routes/route-table.ts',
      'routes/path-normalise.ts',
      'routes/path-pattern.ts',
      'testing/harness.ts',
      // the Express middleware's door (examples/gateway, its bench)
      'middleware/index.ts',
    ],
  },
};

export type Layer = 'runtime' | 'scripts' | 'test' | 'tooling';

/** Test files beside code are test code; everything under test/ too. */
export function layerOf(file: string): Layer {
  if (file.endsWith('.test.ts') || file.startsWith('test/')) return 'test';
  // examples/ are small apps built on the toolkit: held to the scripts' rules (entry points only)
  if (file.startsWith('scripts/') || file.startsWith('examples/')) return 'scripts';
  if (runtimeRoots.some((root) => file.startsWith(`${root}/`))) return 'runtime';
  return 'tooling';
}

/** The component owning a file: the longest table folder that contains it. */
export function componentOf(file: string, table: ComponentTable = components): string | undefined {
  let best: string | undefined;
  for (const folder of Object.keys(table)) {
    if (file.startsWith(`${folder}/`) && (!best || folder.length > best.length)) best = folder;
  }
  return best;
}

export type ImportKind = 'static' | 'type' | 'dynamic' | 'require';
export interface ImportRef {
  file: string;
  line: number;
  /** The specifier as written, or undefined when it is computed at run time. */
  specifier: string | undefined;
  kind: ImportKind;
}
export interface ParsedFile {
  imports: ImportRef[];
  /** Lines that touch `require.cache`. */
  requireCache: number[];
}

const stringValue = (node: ts.Node | undefined): string | undefined =>
  node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;

/** Static, type, dynamic and `require`/`require.resolve` imports of one TypeScript file. */
export function parseImports(file: string, source: string): ParsedFile {
  const sf = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports: ImportRef[] = [];
  const requireCache: number[] = [];
  const lineOf = (node: ts.Node) => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
  // `const MODULE = 'pkg/path'; require(MODULE)` names its specifier as surely as a literal does.
  const constants = new Map<string, string>();
  const collectConstants = (node: ts.Node): void => {
    if (
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      ts.isVariableDeclarationList(node.parent) &&
      node.parent.flags & ts.NodeFlags.Const
    ) {
      const value = stringValue(node.initializer);
      if (value !== undefined) constants.set(node.name.text, value);
    }
    ts.forEachChild(node, collectConstants);
  };
  collectConstants(sf);
  const specifierOf = (arg: ts.Expression | undefined) =>
    stringValue(arg) ?? (arg && ts.isIdentifier(arg) ? constants.get(arg.text) : undefined);
  const isRequire = (node: ts.Expression) => ts.isIdentifier(node) && node.text === 'require';
  const add = (node: ts.Node, specifier: string | undefined, kind: ImportKind) =>
    imports.push({ file, line: lineOf(node), specifier, kind });

  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) {
      add(node, stringValue(node.moduleSpecifier), node.importClause?.isTypeOnly ? 'type' : 'static');
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node, stringValue(node.moduleSpecifier), node.isTypeOnly ? 'type' : 'static');
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, stringValue(node.moduleReference.expression), 'require');
    } else if (ts.isImportTypeNode(node)) {
      const arg = node.argument;
      add(node, ts.isLiteralTypeNode(arg) ? stringValue(arg.literal) : undefined, 'type');
    } else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add(node, specifierOf(node.arguments[0]), 'dynamic');
      else if (isRequire(callee)) add(node, specifierOf(node.arguments[0]), 'require');
      else if (
        ts.isPropertyAccessExpression(callee) &&
        isRequire(callee.expression) &&
        callee.name.text === 'resolve'
      )
        add(node, specifierOf(node.arguments[0]), 'require');
    } else if (
      (ts.isPropertyAccessExpression(node) && isRequire(node.expression) && node.name.text === 'cache') ||
      (ts.isElementAccessExpression(node) &&
        isRequire(node.expression) &&
        stringValue(node.argumentExpression) === 'cache')
    ) {
      requireCache.push(lineOf(node));
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return { imports, requireCache };
}

export interface Violation {
  file: string;
  line: number;
  target: string;
  rule: string;
}

export const formatViolation = (v: Violation) => `${v.file}:${v.line} → ${v.target} (${v.rule})`;

/** The `exports` field of an installed package's package.json; undefined when it has none. */
export type ExportsOf = (packageName: string) => unknown;

/** Splits `@scope/name/sub/path` into the package name and `./sub/path` (or `.`). */
export function packageSubpath(specifier: string): { name: string; subpath: string } {
  const parts = specifier.split('/');
  const size = specifier.startsWith('@') ? 2 : 1;
  const rest = parts.slice(size).join('/');
  return { name: parts.slice(0, size).join('/'), subpath: rest ? `./${rest}` : '.' };
}

/**
 * Whether a package's `exports` field offers `subpath`. A package without `exports` offers
 * its main entry and its manifest (`package.json`, published metadata such as the version);
 * anything else below it is the package's own layout, not its interface.
 */
export function exportsOffer(exportsField: unknown, subpath: string): boolean {
  if (exportsField === undefined || exportsField === null)
    return subpath === '.' || subpath === './package.json';
  if (typeof exportsField !== 'object' || Array.isArray(exportsField)) return subpath === '.';
  const entries = Object.entries(exportsField as Record<string, unknown>);
  if (!entries.some(([key]) => key.startsWith('.'))) return subpath === '.'; // conditions only
  const exact = entries.find(([key]) => key === subpath);
  if (exact) return exact[1] !== null;
  const matching = entries
    .filter(([key]) => {
      const star = key.indexOf('*');
      if (star >= 0) {
        const [before, after] = [key.slice(0, star), key.slice(star + 1)];
        return subpath.startsWith(before) && subpath.endsWith(after) && subpath.length >= key.length - 1;
      }
      return key.endsWith('/') && subpath.startsWith(key);
    })
    .sort(([a], [b]) => b.length - a.length);
  return matching.length > 0 && matching[0]![1] !== null;
}

/** Resolves a relative specifier to a repository path (posix); undefined for bare specifiers. */
export function resolveRelative(file: string, specifier: string): string | undefined {
  if (!specifier.startsWith('./') && !specifier.startsWith('../')) return undefined;
  return path.posix.normalize(path.posix.join(path.posix.dirname(file), specifier));
}

const folderOf = (file: string) => path.posix.dirname(file);

/** Strongly connected components (Tarjan) of a directed graph, each of two or more nodes. */
export function cycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const strongConnect = (v: string): void => {
    index.set(v, next);
    low.set(v, next);
    next++;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        strongConnect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) found.push(scc.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!index.has(v)) strongConnect(v);
  return found;
}

export interface CheckResult {
  violations: Violation[];
  filesScanned: number;
  importsScanned: number;
  /** Imports that resolved to another file of the repository. */
  repoEdges: number;
}

/** Runs every rule over `files` (repository path → source text). */
export function checkImports(
  files: ReadonlyMap<string, string>,
  exportsOf: ExportsOf,
  table: ComponentTable = components,
): CheckResult {
  const violations: Violation[] = [];
  const folderGraph = new Map<string, Set<string>>();
  const runtimeEdges: { from: string; to: string; line: number }[] = [];
  let importsScanned = 0;
  let repoEdges = 0;

  for (const [file, source] of files) {
    const layer = layerOf(file);
    const { imports, requireCache } = parseImports(file, source);
    importsScanned += imports.length;
    for (const line of requireCache) {
      violations.push({ file, line, target: 'require.cache', rule: '(c) library internals: require.cache' });
    }
    for (const ref of imports) {
      const report = (target: string, rule: string) =>
        violations.push({ file, line: ref.line, target, rule });
      if (ref.specifier === undefined) {
        if (layer !== 'test') report('(computed specifier)', '(c) import not statically known');
        continue;
      }
      const spec = ref.specifier;
      if (spec.startsWith('node:') || isBuiltin(spec)) continue;
      const target = resolveRelative(file, spec);
      if (target === undefined) {
        const { name, subpath } = packageSubpath(spec);
        if (!exportsOffer(exportsOf(name), subpath)) {
          report(spec, `(c) library internals: ${name} does not export ${subpath}`);
        }
        continue;
      }
      repoEdges++;
      if (target.startsWith('../')) {
        report(target, '(a) outside the repository');
        continue;
      }
      const targetLayer = layerOf(target);
      if (layer === 'test' || layer === 'tooling') continue;
      if (targetLayer === 'test') {
        report(
          target,
          layer === 'runtime' ? '(a) runtime imports test code' : '(a) scripts import test code',
        );
        continue;
      }
      if (targetLayer === 'scripts') {
        if (layer === 'runtime') report(target, '(a) runtime imports scripts');
        continue;
      }
      if (targetLayer !== 'runtime') {
        report(target, '(a) imports a file outside the runtime folders');
        continue;
      }
      // (b) components
      const to = componentOf(target, table);
      if (!to) {
        report(target, '(b) file of no component: add its folder to the component table');
        continue;
      }
      const from = layer === 'scripts' ? 'scripts' : componentOf(file, table);
      if (!from) {
        report(target, `(b) ${file} belongs to no component: add its folder to the component table`);
        continue;
      }
      if (layer === 'runtime') {
        runtimeEdges.push({ from: file, to: target, line: ref.line });
        if (from !== to) {
          const out = folderGraph.get(from) ?? new Set<string>();
          out.add(to);
          folderGraph.set(from, out);
        }
      }
      if (from === to) continue;
      if (from !== 'scripts' && !table[from]!.mayImport.includes(to)) {
        report(target, `(b) ${from} may not import ${to}`);
        continue;
      }
      const entries = table[to]!.entryPoints;
      if (entries && !entries.some((entry) => `${to}/${entry}` === target)) {
        report(target, `(b) internals of ${to}: not one of its entry points`);
      }
    }
  }

  // (d) cycles between component folders: every import edge between two folders of one cycle.
  for (const scc of cycles(folderGraph)) {
    const members = new Set(scc);
    for (const edge of runtimeEdges) {
      const [a, b] = [componentOf(edge.from, table), componentOf(edge.to, table)];
      if (a && b && a !== b && members.has(a) && members.has(b)) {
        violations.push({
          file: edge.from,
          line: edge.line,
          target: edge.to,
          rule: `(d) folder cycle: ${scc.join(' ↔ ')}`,
        });
      }
    }
  }
  // (d) version files: newer may import older, never the reverse.
  const version = (file: string) => /^v(\d+)\.ts$/.exec(path.posix.basename(file))?.[1];
  for (const edge of runtimeEdges) {
    const [from, to] = [version(edge.from), version(edge.to)];
    if (from !== undefined && to !== undefined && folderOf(edge.from) === folderOf(edge.to)) {
      if (Number(to) >= Number(from)) {
        violations.push({
          file: edge.from,
          line: edge.line,
          target: edge.to,
          rule: `(d) version order: v${from} may import only older versions`,
        });
      }
    }
  }

  violations.sort((x, y) => x.file.localeCompare(y.file) || x.line - y.line);
  return { violations, filesScanned: files.size, importsScanned, repoEdges };
}

/** Every `.ts` file git knows of (tracked, or new and not ignored) under `root`, with its text. */
export function repositoryFiles(root: string): Map<string, string> {
  const listed = execFileSync(
    'git',
    ['ls-files', '--cached', '--others', '--exclude-standard', '--', '*.ts'],
    {
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const files = new Map<string, string>();
  for (const file of listed.split('\n').filter(Boolean).sort()) {
    const full = path.join(root, file);
    if (fs.existsSync(full)) files.set(file, fs.readFileSync(full, 'utf8'));
  }
  return files;
}

/** Reads `exports` from the installed packages under `root`/node_modules. */
export function installedExports(root: string): ExportsOf {
  const cache = new Map<string, unknown>();
  return (name) => {
    if (!cache.has(name)) {
      const manifest = path.join(root, 'node_modules', name, 'package.json');
      if (!fs.existsSync(manifest)) throw new Error(`package ${name} is imported but not installed`);
      cache.set(name, (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { exports?: unknown }).exports);
    }
    return cache.get(name);
  };
}
