import { describe, expect, it } from 'vitest';
import {
  type ComponentTable,
  checkImports,
  components,
  cycles,
  type ExportsOf,
  exportsOffer,
  formatViolation,
  layerOf,
  packageSubpath,
  parseImports,
} from './import-rules.ts';

/** Small in-memory repositories: each rule must fire on its violation and stay quiet otherwise. */
const exportsOf: ExportsOf = (name) =>
  ({
    kafkajs: undefined,
    mysql2: { '.': './index.js', './promise': './promise.js' },
    zod: { '.': './index.js', './v4/locales/*': './v4/locales/*.js' },
  })[name];

const check = (files: Record<string, string>, table?: ComponentTable) =>
  checkImports(new Map(Object.entries(files)), exportsOf, table).violations.map(formatViolation);

describe('parseImports', () => {
  it('finds static, type, re-export, dynamic, require and import-type imports with their lines', () => {
    const source = [
      "import a from './a.ts';",
      "import type { B } from './b.ts';",
      "export * from './c.ts';",
      "const d = await import('./d.ts');",
      "const e = require('e-pkg');",
      "type F = typeof import('./f.ts');",
      "const MODULE = 'g-pkg/inner.js';",
      'require.resolve(MODULE);',
      '// import h from "./h.ts"; — a comment, not an import',
      'const text = "import i from \'./i.ts\'";',
      'await import(somewhere);',
      'delete require.cache[key];',
    ].join('\n');
    const { imports, requireCache } = parseImports('lib/x.ts', source);
    expect(imports.map((i) => [i.line, i.specifier, i.kind])).toEqual([
      [1, './a.ts', 'static'],
      [2, './b.ts', 'type'],
      [3, './c.ts', 'static'],
      [4, './d.ts', 'dynamic'],
      [5, 'e-pkg', 'require'],
      [6, './f.ts', 'type'],
      [8, 'g-pkg/inner.js', 'require'],
      [11, undefined, 'dynamic'],
    ]);
    expect(requireCache).toEqual([12]);
  });
});

describe('layers and packages', () => {
  it('tells runtime, scripts, test and tooling files apart', () => {
    expect(layerOf('cdc/broker/main.ts')).toBe('runtime');
    expect(layerOf('cdc/broker/errors.test.ts')).toBe('test');
    expect(layerOf('scripts/db.ts')).toBe('scripts');
    expect(layerOf('scripts/rehearsal/live/table-checksum.test.ts')).toBe('test');
    expect(layerOf('examples/gateway/gateway.ts')).toBe('scripts');
    expect(layerOf('test/support/database.ts')).toBe('test');
    expect(layerOf('vitest.config.ts')).toBe('tooling');
  });

  it('splits scoped and plain package specifiers', () => {
    expect(packageSubpath('@vlasky/zongji')).toEqual({ name: '@vlasky/zongji', subpath: '.' });
    expect(packageSubpath('@scope/pkg/lib/x.js')).toEqual({ name: '@scope/pkg', subpath: './lib/x.js' });
    expect(packageSubpath('kafkajs/src/a.js')).toEqual({ name: 'kafkajs', subpath: './src/a.js' });
  });

  it('reads exports: exact keys, patterns, null exclusions, conditions, and none', () => {
    const exports = { '.': './i.js', './promise': './p.js', './x/*': './x/*.js', './x/private/*': null };
    expect(exportsOffer(exports, '.')).toBe(true);
    expect(exportsOffer(exports, './promise')).toBe(true);
    expect(exportsOffer(exports, './x/a')).toBe(true);
    expect(exportsOffer(exports, './x/private/a')).toBe(false);
    expect(exportsOffer(exports, './lib/a.js')).toBe(false);
    expect(exportsOffer({ import: './i.mjs', require: './i.cjs' }, '.')).toBe(true);
    expect(exportsOffer({ import: './i.mjs' }, './i.mjs')).toBe(false);
    expect(exportsOffer('./i.js', './i.js')).toBe(false);
    expect(exportsOffer(undefined, '.')).toBe(true);
    expect(exportsOffer(undefined, './src/a.js')).toBe(false);
    expect(exportsOffer(undefined, './package.json')).toBe(true);
    expect(exportsOffer({ '.': './i.js' }, './package.json')).toBe(false);
  });
});

describe('rule (a): runtime never imports scripts or tests; scripts never import tests', () => {
  it('reports each such import and nothing else', () => {
    expect(
      check({
        'cdc/connector/connector.ts': "import { x } from '../../scripts/db/url.ts';",
        'lib/log.ts': "import { y } from '../test/support/database.ts';",
        'scripts/bench/a.ts': "import { z } from '../../test/extracted/publisher.ts';",
        'scripts/bench/b.ts': "import { w } from '../db.ts';",
        'cdc/connector/offsets.test.ts': "import { v } from '../../test/support/database.ts';",
        'test/db/a.test.ts': "import { u } from '../../scripts/db.ts';",
      }),
    ).toEqual([
      'cdc/connector/connector.ts:1 → scripts/db/url.ts ((a) runtime imports scripts)',
      'lib/log.ts:1 → test/support/database.ts ((a) runtime imports test code)',
      'scripts/bench/a.ts:1 → test/extracted/publisher.ts ((a) scripts import test code)',
    ]);
  });

  it("holds examples to the scripts' rules: entry points only, never tests", () => {
    expect(
      check({
        'examples/gateway/gateway.ts': [
          "import '../../strangler-proxy/middleware/index.ts';",
          "import '../../strangler-proxy/middleware/hpm-upstreams.ts';",
          "import '../../test/support/database.ts';",
        ].join('\n'),
      }),
    ).toEqual([
      'examples/gateway/gateway.ts:2 → strangler-proxy/middleware/hpm-upstreams.ts ((b) internals of strangler-proxy: not one of its entry points)',
      'examples/gateway/gateway.ts:3 → test/support/database.ts ((a) scripts import test code)',
    ]);
  });

  it('reports a relative import that leaves the repository', () => {
    expect(check({ 'lib/a.ts': "import '../../shared/x.ts';" })).toEqual([
      'lib/a.ts:1 → ../shared/x.ts ((a) outside the repository)',
    ]);
  });
});

describe('rule (b): components depend one way and meet at entry points', () => {
  it('takes foundation files one by one and other components only through entry points', () => {
    expect(
      check({
        'cdc/connector/a.ts': [
          "import '../../lib/net.ts';",
          "import '../kafka-protocol/writer.ts';",
          "import '../debezium/fields.ts';",
          "import '../broker/protocol/writer.ts';",
        ].join('\n'),
        'scripts/bench/compare.ts': [
          "import '../../strangler-proxy/compare/index.ts';",
          "import '../../strangler-proxy/compare/diff.ts';",
          "import '../../legacy-monolith/seed/random.ts';",
          "import '../../legacy-monolith/http/app.ts';",
        ].join('\n'),
        'extracted/catalog/domain/products.ts': [
          "import '../../../contract/money.ts';",
          "import '../../service-kit/store.ts';",
          "import '../../service-kit/http-app.ts';",
          "import '../../../legacy-monolith/index.ts';",
          "import '../../orders/config.ts';",
        ].join('\n'),
        'strangler-proxy/compare/rules.ts': "import '../routes/route-table.ts';",
      }),
    ).toEqual([
      'cdc/connector/a.ts:4 → cdc/broker/protocol/writer.ts ((b) cdc/connector may not import cdc/broker)',
      'extracted/catalog/domain/products.ts:3 → extracted/service-kit/http-app.ts ((b) internals of extracted/service-kit: not one of its entry points)',
      'extracted/catalog/domain/products.ts:4 → legacy-monolith/index.ts ((b) extracted/catalog may not import legacy-monolith)',
      'extracted/catalog/domain/products.ts:5 → extracted/orders/config.ts ((b) extracted/catalog may not import extracted/orders)',
      'scripts/bench/compare.ts:2 → strangler-proxy/compare/diff.ts ((b) internals of strangler-proxy: not one of its entry points)',
      'scripts/bench/compare.ts:4 → legacy-monolith/http/app.ts ((b) internals of legacy-monolith: not one of its entry points)',
    ]);
  });

  it('asks for a table row when a runtime folder belongs to no component', () => {
    expect(check({ 'lib/a.ts': "import '../cdc/newcomer/x.ts';" })).toEqual([
      'lib/a.ts:1 → cdc/newcomer/x.ts ((b) file of no component: add its folder to the component table)',
    ]);
  });

  it('lets tests import anything', () => {
    expect(
      check({
        'test/e2e/a.test.ts':
          "import '../../strangler-proxy/forward/headers.ts'; import '../../scripts/up/system.ts';",
        'extracted/catalog/x.test.ts': "import '../../legacy-monolith/domain/money.ts';",
      }),
    ).toEqual([]);
  });
});

describe('rule (c): no library internals', () => {
  it('reports unexported package subpaths, require.cache and computed specifiers', () => {
    expect(
      check({
        'cdc/connector/k.ts': [
          "import { Kafka } from 'kafkajs';",
          "import mysql from 'mysql2/promise';",
          "import 'zod/v4/locales/en';",
          "import fs from 'node:fs';",
          "const Encoder = require('kafkajs/src/protocol/encoder.js');",
          "const PRODUCE = 'kafkajs/src/protocol/requests/produce/v3/request.js';",
          'require.cache[require.resolve(PRODUCE)];',
          'await import(url);',
          "import { util } from 'mysql2/lib/util.js';",
        ].join('\n'),
      }),
    ).toEqual([
      'cdc/connector/k.ts:5 → kafkajs/src/protocol/encoder.js ((c) library internals: kafkajs does not export ./src/protocol/encoder.js)',
      'cdc/connector/k.ts:7 → require.cache ((c) library internals: require.cache)',
      'cdc/connector/k.ts:7 → kafkajs/src/protocol/requests/produce/v3/request.js ((c) library internals: kafkajs does not export ./src/protocol/requests/produce/v3/request.js)',
      'cdc/connector/k.ts:8 → (computed specifier) ((c) import not statically known)',
      'cdc/connector/k.ts:9 → mysql2/lib/util.js ((c) library internals: mysql2 does not export ./lib/util.js)',
    ]);
  });

  it('holds tests to it too', () => {
    expect(check({ 'cdc/connector/k.test.ts': "require('kafkajs/src/utils/long.js');" })).toEqual([
      'cdc/connector/k.test.ts:1 → kafkajs/src/utils/long.js ((c) library internals: kafkajs does not export ./src/utils/long.js)',
    ]);
  });
});

describe('rule (d): no cycles', () => {
  it('finds strongly connected components of two or more nodes only', () => {
    const graph = new Map([
      ['a', new Set(['b'])],
      ['b', new Set(['c'])],
      ['c', new Set(['a', 'd'])],
      ['d', new Set(['d'])],
      ['e', new Set(['a'])],
    ]);
    expect(cycles(graph)).toEqual([['a', 'b', 'c']]);
  });

  it('reports every import edge of a cycle between component folders', () => {
    const table: ComponentTable = {
      lib: { mayImport: [] },
      'cdc/broker': { mayImport: ['lib', 'cdc/connector'] },
      'cdc/connector': { mayImport: ['lib', 'cdc/broker'] },
    };
    expect(
      check(
        {
          'cdc/broker/a.ts': "import '../connector/b.ts';\nimport '../../lib/net.ts';",
          'cdc/connector/b.ts': "import '../../lib/log.ts';\nimport type { A } from '../broker/a.ts';",
        },
        table,
      ),
    ).toEqual([
      'cdc/broker/a.ts:1 → cdc/connector/b.ts ((d) folder cycle: cdc/broker ↔ cdc/connector)',
      'cdc/connector/b.ts:2 → cdc/broker/a.ts ((d) folder cycle: cdc/broker ↔ cdc/connector)',
    ]);
  });

  it('lets a version file import older versions of its folder, never newer ones', () => {
    expect(
      check({
        'cdc/broker/apis/join-group/v0.ts': "import { decode } from './v2.ts';",
        'cdc/broker/apis/join-group/v1.ts': "import { decode } from './v0.ts';",
        'cdc/broker/apis/join-group/v2.ts': "import { decode } from './v1.ts';",
        'cdc/broker/apis/join-group/index.ts': "import './v0.ts'; import './v2.ts';",
        'cdc/broker/apis/sync-group/v0.ts': "import '../join-group/v2.ts';",
      }),
    ).toEqual([
      'cdc/broker/apis/join-group/v0.ts:1 → cdc/broker/apis/join-group/v2.ts ((d) version order: v0 may import only older versions)',
    ]);
  });
});

describe('the component table', () => {
  it('names only components it declares, and its dependencies form no cycle', () => {
    const graph = new Map(Object.entries(components).map(([k, c]) => [k, new Set(c.mayImport)]));
    for (const deps of graph.values()) for (const dep of deps) expect(Object.keys(components)).toContain(dep);
    expect(cycles(graph)).toEqual([]);
  });

  it('keeps the extracted services off the monolith and lets everything use lib', () => {
    for (const [folder, c] of Object.entries(components)) {
      if (folder.startsWith('extracted/')) expect(c.mayImport).not.toContain('legacy-monolith');
      if (folder !== 'lib') expect(c.mayImport).toContain('lib');
    }
  });
});
