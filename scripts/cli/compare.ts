import path from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { envValue } from '../../lib/config.ts';
import { ToolkitError } from '../../lib/errors.ts';
import {
  type CapturedRequest,
  type CompareReport,
  ComparisonStore,
  compareEndpoints,
  type EndpointRequest,
  REDACTED,
  readCapture,
  reportFromResults,
  reportFromStore,
  writeReport,
} from '../../strangler-proxy/compare/index.ts';
import { loadProxyConfig } from '../../strangler-proxy/config.ts';
import { loadRouteTableFile } from '../../strangler-proxy/routes/route-table.ts';
import { readAdminToken } from '../rehearsal/live/proxy-admin.ts';
import { endpointsFor } from '../up/endpoints.ts';
import { fetchText } from './fetch-text.ts';
import { url, wholeNumber } from './options.ts';
import { progressBar } from './progress.ts';

export class CompareCliError extends ToolkitError {}

/** "0.05", "5%" → 0.05. */
function rate(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(%)?$/.exec(value.trim());
  const n = m ? Number(m[1]) / (m[2] ? 100 : 1) : Number.NaN;
  if (!(n >= 0 && n <= 1))
    throw new InvalidArgumentError(
      '--max-mismatch-rate must be a fraction 0-1 or a percentage, e.g. 0.01 or 1%',
    );
  return n;
}

function header(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf(':');
  if (at <= 0)
    throw new InvalidArgumentError(`--header must look like "Authorization: Bearer abc"; got "${value}"`);
  return { ...previous, [value.slice(0, at).trim().toLowerCase()]: value.slice(at + 1).trim() };
}

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

function printSummary(report: CompareReport, files: { markdown: string; html: string }): void {
  for (const r of report.routes) {
    const c = r.counters;
    console.log(
      `${r.routeId.padEnd(12)} compared ${String(r.compared).padStart(6)}  mismatch ${pct(r.mismatchRate).padStart(8)}  (matched ${c.match}, mismatched ${c.mismatch}, noise ${c.noise}, lag ${c.lag}, errors ${c.error}, shed ${c.shed})${r.topFields[0] ? `  top field ${r.topFields[0].field} ×${r.topFields[0].count}` : ''}`,
    );
  }
  if (report.routes.length === 0) console.log('no comparisons yet');
  console.log(`report: ${files.markdown}\n        ${files.html}`);
}

/** The proxy's live report over its admin API. */
async function reportFromAdmin(adminUrl: string, token: string): Promise<CompareReport> {
  let res: { status: number; text: string };
  try {
    res = await fetchText(`${adminUrl}/compare/report`, { headers: { authorization: `Bearer ${token}` } });
  } catch (err) {
    throw new CompareCliError(
      'COMPARE_ERR_ADMIN_UNREACHABLE',
      `the proxy admin API at ${adminUrl} did not answer (${(err as Error).message}); is the proxy running? (or read its files with --store <data dir>/compare)`,
      { cause: err },
    );
  }
  if (res.status !== 200) {
    const hint = res.status === 401 ? ' (wrong admin token: see --token-file or PROXY_ADMIN_TOKEN)' : '';
    throw new CompareCliError(
      'COMPARE_ERR_ADMIN_REFUSED',
      `GET /compare/report on ${adminUrl} answered ${res.status}: ${res.text.slice(0, 300)}${hint}`,
    );
  }
  return JSON.parse(res.text) as CompareReport;
}

/** A captured request as the replay sends it: redacted headers left out, extra ones added. */
function replayRequest(
  entry: CapturedRequest,
  extraHeaders: Record<string, string>,
  origins: { legacyUrl: string; candidateUrl: string },
): EndpointRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(entry.headers ?? {})) {
    if (value !== REDACTED) headers[name] = value;
  }
  return {
    method: entry.method,
    path: entry.path,
    headers: { ...headers, ...extraHeaders, 'x-strangler-replay': '1' },
    body: entry.bodyBase64 ? Buffer.from(entry.bodyBase64, 'base64') : undefined,
    routeId: entry.routeId,
    ...origins,
  };
}

export interface ReplayOptions {
  routesFile?: string;
  legacy?: string;
  new?: string;
  route?: string;
  concurrency: number;
  maxMismatchRate: number;
  noiseCheck: boolean;
  headers: Record<string, string>;
  out: string;
  timeoutMs: number;
  /** The legacy database, to classify differences from a candidate that was only behind as lag. */
  legacyMysqlUrl?: string;
}

/**
 * Replays a capture file against legacy and new (origins and rules from the route table,
 * or --legacy/--new for every request) and writes the report. Returns the routes whose
 * failure rate — mismatched plus errors over compared — is above the allowed rate: an answer
 * that could not be compared is no evidence of parity.
 */
export async function replayCapture(file: string, options: ReplayOptions) {
  let entries = await readCapture(file);
  if (options.route) entries = entries.filter((e) => e.routeId === options.route);
  if (entries.length === 0) {
    throw new CompareCliError(
      'COMPARE_ERR_EMPTY_CAPTURE',
      `${file} holds no requests${options.route ? ` for route "${options.route}"` : ''} to replay`,
    );
  }
  // The table gives each route its origins and its comparison rules. With --legacy and --new
  // it is only needed for the rules, so a missing default table is no error then.
  const routesFile = options.routesFile ?? loadProxyConfig().routesFile;
  const table =
    options.routesFile || !options.legacy || !options.new
      ? await loadRouteTableFile(routesFile, 1024 * 1024)
      : await loadRouteTableFile(routesFile, 1024 * 1024).catch(() => undefined);
  const requests = entries.map((entry) => {
    const route = table?.routes.find((r) => r.id === entry.routeId);
    const legacyUrl = options.legacy ?? route?.legacy;
    const candidateUrl = options.new ?? route?.upstreamNew;
    if (!legacyUrl || !candidateUrl) {
      throw new CompareCliError(
        'COMPARE_ERR_UNKNOWN_ROUTE',
        `captured route "${entry.routeId}" is not in ${routesFile}; pass --routes <file> or both --legacy and --new`,
      );
    }
    return replayRequest(entry, options.headers, { legacyUrl, candidateUrl });
  });
  const bar = progressBar('replay', requests.length, 'requests');
  let done = 0;
  let mismatched = 0;
  let report: Awaited<ReturnType<typeof compareEndpoints>>;
  try {
    report = await compareEndpoints({
      requests,
      concurrency: options.concurrency,
      noiseCheck: options.noiseCheck,
      timeoutMs: options.timeoutMs,
      legacyMysqlUrl: options.legacyMysqlUrl,
      rules: (req) => table?.routes.find((r) => r.id === req.routeId)?.compareRules.spec,
      onResult: (r) => {
        done++;
        if (r.outcome === 'mismatch' || r.outcome === 'error') mismatched++;
        bar.update(done, { info: `${mismatched} mismatched or failed` });
      },
    });
  } finally {
    bar.stop();
  }
  const compareReport = reportFromResults(report.results, `replay of ${path.basename(file)}`);
  const files = await writeReport(compareReport, options.out);
  const failing = compareReport.routes.filter(
    (r) => r.compared > 0 && (r.counters.mismatch + r.counters.error) / r.compared > options.maxMismatchRate,
  );
  return { report: compareReport, files, failing };
}

/** `strangler compare report` and `strangler compare replay <file>`. */
export function registerCompare(program: Command): void {
  const compare = program
    .command('compare')
    .description('legacy-versus-new comparison reports, and replays of captured traffic');
  const endpoints = endpointsFor();

  compare
    .command('report')
    .description(
      "write the proxy's comparison report (markdown and HTML): mismatch rate and top differing fields per route",
    )
    .option('--admin <url>', 'proxy admin API', url('--admin'), endpoints.admin)
    .option(
      '--token-file <file>',
      'admin token file (PROXY_ADMIN_TOKEN wins when set)',
      endpoints.adminTokenFile,
    )
    .option(
      '--store <dir>',
      "read the comparison store's files instead of the admin API (the proxy's <data>/compare)",
    )
    .option('--out <dir>', 'where the report files go', 'reports')
    .option('--json', 'print the report as JSON too')
    .action(async (opts) => {
      const report = opts.store
        ? await reportFromStore(await ComparisonStore.readOnly(opts.store), `comparison store ${opts.store}`)
        : await reportFromAdmin(opts.admin, await readAdminToken(opts.tokenFile, endpoints.adminToken));
      const files = await writeReport(report, opts.out);
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      printSummary(report, files);
    });

  compare
    .command('replay')
    .description(
      'replay captured traffic (PROXY_CAPTURE_FILE) against legacy and new and report the differences',
    )
    .argument('<file>', 'capture file: one JSON request a line, as the proxy writes it')
    .option('--routes <file>', 'route table giving each route its origins and rules (default: the proxy’s)')
    .option('--legacy <url>', 'send every request to this legacy origin', url('--legacy'))
    .option('--new <url>', 'send every request to this new origin', url('--new'))
    .option('--route <id>', 'only requests captured for this route')
    .option('-c, --concurrency <n>', 'requests compared at once', wholeNumber('--concurrency', '8', 1), 8)
    .option(
      '--max-mismatch-rate <rate>',
      'exit 1 when a route has more mismatched or failed requests than this, e.g. 0.01 or 1%',
      rate,
      0,
    )
    .option('--no-noise-check', 'do not ask legacy twice per request (noise detection)')
    .option(
      '-H, --header <header>',
      'add a header to every request, e.g. "Authorization: Bearer …" (repeatable)',
      header,
      {},
    )
    .option('--timeout <ms>', 'per-call timeout', wholeNumber('--timeout', '10000', 1), 10_000)
    .option(
      '--mysql-url <url>',
      'legacy database (default: $MYSQL_URL); a difference from a new side behind its binlog position is re-checked once it caught up and, equal then, counted as lag, not mismatch',
    )
    .option('--out <dir>', 'where the report files go', 'reports')
    .action(async (file: string, opts) => {
      const { report, files, failing } = await replayCapture(file, {
        routesFile: opts.routes,
        legacy: opts.legacy,
        new: opts.new,
        route: opts.route,
        concurrency: opts.concurrency,
        maxMismatchRate: opts.maxMismatchRate,
        noiseCheck: opts.noiseCheck,
        headers: opts.header,
        out: opts.out,
        timeoutMs: opts.timeout,
        // not a commander default: --help would print the URL, password and all
        legacyMysqlUrl: opts.mysqlUrl ?? envValue('MYSQL_URL'),
      });
      printSummary(report, files);
      if (failing.length > 0) {
        console.error(
          `over the allowed mismatch rate ${pct(opts.maxMismatchRate)}: ${failing.map((r) => r.routeId).join(', ')}`,
        );
        process.exitCode = 1;
      }
    });
}
