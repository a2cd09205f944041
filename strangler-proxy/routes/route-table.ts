import fs from 'node:fs/promises';
import path from 'node:path';
import { type AggregatePlan, compileAggregate } from '../aggregate/aggregate-plan.ts';
// the rules module only, not compare/index.ts: proxy workers load this file, never the engine
import { type CompiledRules, compileRules } from '../compare/rules.ts';
import { ProxyError } from '../errors.ts';
import type { BulkheadLimits } from '../limits/bulkhead.ts';
import { compilePattern } from './path-pattern.ts';
import { describeIssues, type RouteSpec, type RouteTableFile, routeTableSchema } from './route-schema.ts';
import { checkRouteWrites } from './writes.ts';

/** A route ready for the hot path: patterns compiled, defaults resolved, method set built. */
export interface Route {
  readonly id: string;
  readonly spec: RouteSpec;
  readonly flag: string;
  readonly legacy: string;
  readonly upstreamNew: string;
  readonly methods: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
  /** The route's writes (`writes`): matched after its reads; empty when it takes none. */
  readonly writeMethods: ReadonlySet<string>;
  readonly writePatterns: readonly RegExp[];
  readonly headersTimeout: number;
  readonly bodyTimeout: number;
  /** The route's concurrency limit; undefined (no limit) costs the request path one check. */
  readonly bulkhead: BulkheadLimits | undefined;
  /** Whether exchanges on this route go to the shadow hook (and so need the tee). */
  readonly compare: boolean;
  readonly captureRequestMethods: ReadonlySet<string>;
  readonly captureMaxBytes: number;
  readonly shadowMethods: ReadonlySet<string>;
  readonly compareRules: CompiledRules;
  /** Rules for a write's comparison (its dry run): `compare.writeRules`, else compareRules. */
  readonly writeCompareRules: CompiledRules;
  readonly bakePeriodMs: number;
  /** An aggregation route's parts (aggregate/): the route answers itself, from several upstreams. */
  readonly aggregate: AggregatePlan | undefined;
}

export interface RouteTable {
  readonly legacy: string;
  readonly routes: readonly Route[];
  readonly file: RouteTableFile;
  /** Every upstream origin the table names; nothing else can ever be reached. */
  readonly origins: ReadonlySet<string>;
}

/**
 * Validates a parsed route table; throws PROXY_ERR_ROUTE_FILE_INVALID naming each bad field, and
 * PROXY_ERR_ROUTE_WRITES_INVALID when routes' writes and owned tables do not hold together.
 */
export function buildRouteTable(raw: unknown, captureMaxBytes: number, source = 'route table'): RouteTable {
  const parsed = routeTableSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error, raw);
    throw new ProxyError(
      'PROXY_ERR_ROUTE_FILE_INVALID',
      `${source} is invalid:\n  - ${problems.join('\n  - ')}`,
      {
        status: 400,
        context: { problems },
      },
    );
  }
  const file = parsed.data;
  checkRouteWrites(file, source);
  const routes = file.routes.map((spec): Route => {
    const legacy = spec.legacy ?? file.legacy;
    return {
      id: spec.id,
      spec,
      flag: spec.flag ?? `strangler.${spec.id}`,
      legacy,
      // an aggregation route has no new side of its own (its parts name their routes)
      upstreamNew: spec.new ?? legacy,
      methods: new Set(spec.methods),
      patterns: spec.paths.map(compilePattern),
      writeMethods: new Set(spec.writes?.methods ?? []),
      writePatterns: (spec.writes?.paths ?? []).map(compilePattern),
      headersTimeout: spec.timeouts.headersMs,
      bodyTimeout: spec.timeouts.bodyMs,
      bulkhead: spec.bulkhead,
      compare: spec.compare.enabled,
      captureRequestMethods: new Set(spec.compare.captureRequestBodyMethods),
      captureMaxBytes: spec.compare.maxBodyBytes ?? captureMaxBytes,
      shadowMethods: new Set(spec.compare.shadowMethods),
      compareRules: compileRules(spec.compare.rules),
      writeCompareRules: spec.compare.writeRules
        ? compileRules(spec.compare.writeRules)
        : compileRules(spec.compare.rules),
      bakePeriodMs: spec.compare.bakePeriodMs,
      aggregate: undefined,
    };
  });
  // aggregation routes last: their parts point at the plain routes built above
  const plain = new Map(routes.filter((r) => !r.spec.aggregate).map((r) => [r.id, r]));
  routes.forEach((r, i) => {
    if (r.spec.aggregate)
      routes[i] = { ...r, aggregate: compileAggregate(r.spec.paths, r.spec.aggregate, plain) };
  });
  const origins = new Set([file.legacy, ...routes.flatMap((r) => [r.legacy, r.upstreamNew])]);
  return { legacy: file.legacy, routes, file, origins };
}

export async function loadRouteTableFile(file: string, captureMaxBytes: number): Promise<RouteTable> {
  let raw: unknown;
  try {
    raw = JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (cause) {
    throw new ProxyError(
      'PROXY_ERR_ROUTE_FILE_UNREADABLE',
      `cannot read route table ${file}: ${(cause as Error).message}`,
      { cause, status: 400 },
    );
  }
  return buildRouteTable(raw, captureMaxBytes, `route table ${path.basename(file)}`);
}

/** Writes the file atomically (temp + rename) so the watcher never sees half a file. */
export async function writeRouteTableFile(file: string, table: RouteTableFile): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(tmp, `${JSON.stringify(table, null, 2)}\n`);
  await fs.rename(tmp, file);
}
