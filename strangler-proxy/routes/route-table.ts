import fs from 'node:fs/promises';
import path from 'node:path';
// the rules module only, not compare/index.ts: proxy workers load this file, never the engine
import { type CompiledRules, compileRules } from '../compare/rules.ts';
import { ProxyError } from '../errors.ts';
import type { BulkheadLimits } from '../limits/bulkhead.ts';
import { compilePattern } from './path-pattern.ts';
import { describeIssues, type RouteSpec, type RouteTableFile, routeTableSchema } from './route-schema.ts';

/** A route ready for the hot path: patterns compiled, defaults resolved, method set built. */
export interface Route {
  readonly id: string;
  readonly spec: RouteSpec;
  readonly flag: string;
  readonly legacy: string;
  readonly upstreamNew: string;
  readonly methods: ReadonlySet<string>;
  readonly patterns: readonly RegExp[];
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
  readonly bakePeriodMs: number;
}

export interface RouteTable {
  readonly legacy: string;
  readonly routes: readonly Route[];
  readonly file: RouteTableFile;
  /** Every upstream origin the table names; nothing else can ever be reached. */
  readonly origins: ReadonlySet<string>;
}

/** Validates a parsed route table; throws PROXY_ERR_ROUTE_FILE_INVALID naming each bad field. */
export function buildRouteTable(raw: unknown, captureMaxBytes: number, source = 'route table'): RouteTable {
  const parsed = routeTableSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = describeIssues(parsed.error);
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
  const routes = file.routes.map((spec): Route => {
    const legacy = spec.legacy ?? file.legacy;
    return {
      id: spec.id,
      spec,
      flag: spec.flag ?? `strangler.${spec.id}`,
      legacy,
      upstreamNew: spec.new,
      methods: new Set(spec.methods),
      patterns: spec.paths.map(compilePattern),
      headersTimeout: spec.timeouts.headersMs,
      bodyTimeout: spec.timeouts.bodyMs,
      bulkhead: spec.bulkhead,
      compare: spec.compare.enabled,
      captureRequestMethods: new Set(spec.compare.captureRequestBodyMethods),
      captureMaxBytes: spec.compare.maxBodyBytes ?? captureMaxBytes,
      shadowMethods: new Set(spec.compare.shadowMethods),
      compareRules: compileRules(spec.compare.rules),
      bakePeriodMs: spec.compare.bakePeriodMs,
    };
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
