import type { Command } from 'commander';
import { ToolkitError } from '../../lib/errors.ts';
import { endpointsFor } from '../up/endpoints.ts';
import { fetchJson } from './fetch-text.ts';
import { url } from './options.ts';

/** The CLI's own failure (the writer map unreachable or refusing the question). */
export class WritersCliError extends ToolkitError {}

interface WriterRow {
  writer: string;
  kind: 'route' | 'untagged' | 'unknown' | 'origin';
  changes: number;
  secondWriter?: boolean;
  lastAt: string;
  lastTraceparent: string | null;
  lastStatement: string | null;
}
interface WriterMapAnswer {
  since: string;
  until: string;
  watched: string[];
  newestChange: string | null;
  tables: Record<string, WriterRow[]>;
}

async function ask(base: string, path: string): Promise<unknown> {
  let res: { status: number; body: unknown };
  try {
    res = await fetchJson(`${base}${path}`);
  } catch (err) {
    throw new WritersCliError(
      'WRITERS_CLI_UNREACHABLE',
      `the writer map does not answer at ${base} (${(err as Error).message}); start it with npm start or npm run writers, or point --url / WRITERS_URL at it`,
    );
  }
  if (res.status !== 200) {
    const error = (res.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new WritersCliError(
      error?.code ?? 'WRITERS_CLI_FAILED',
      error?.message ?? `the writer map answered ${res.status} to ${path}`,
    );
  }
  return res.body;
}

const kindLabel = {
  route: '',
  untagged: '  (untagged: no route tag)',
  unknown: '  (unknown: no statement in the event)',
  origin: '  (the owning service, through its reverse applier)',
};

/** The map as a table per source table: writer, changes, last write, and what identifies it. */
export function formatWriterMap(answer: WriterMapAnswer): string {
  const lines = [
    `writers ${answer.since} → ${answer.until} (newest change seen ${answer.newestChange ?? 'none'})`,
  ];
  const tables = Object.keys(answer.tables);
  if (tables.length === 0) lines.push('  no writes observed in this window');
  // one column width for every table, so the tables read as one list
  const width = Math.max(
    8,
    ...Object.values(answer.tables).flatMap((rows) => rows.map((r) => r.writer.length)),
  );
  for (const table of tables) {
    lines.push('', table);
    const rows = answer.tables[table]!;
    for (const r of rows) {
      const extra =
        r.kind === 'route'
          ? r.lastTraceparent
            ? `  trace ${r.lastTraceparent}`
            : ''
          : `${kindLabel[r.kind]}${r.lastStatement ? `  last: ${r.lastStatement.replace(/\s+/g, ' ').slice(0, 100)}` : ''}`;
      const second = r.secondWriter ? '  SECOND WRITER on an owned table' : '';
      lines.push(
        `  ${r.writer.padEnd(width)}  ${String(r.changes).padStart(7)} change${r.changes === 1 ? ' ' : 's'}  last ${r.lastAt}${second}${extra}`,
      );
    }
  }
  const quiet = answer.watched.filter((t) => !(t in answer.tables));
  if (quiet.length > 0) lines.push('', `no writes: ${quiet.join(', ')}`);
  return lines.join('\n');
}

export function registerWriters(program: Command): void {
  program
    .command('writers')
    .description('who wrote each legacy table (routes, untagged jobs and consoles), from the binlog')
    .option(
      '--since <when>',
      'start of the window: a duration back from now (30s, 15m, 2h, 7d) or an ISO time',
      '1h',
    )
    .option('--until <when>', 'end of the window (default now)')
    .option('--tables <list>', 'only these tables, comma-separated')
    .option('--url <url>', 'the writer map (default WRITERS_URL or http://127.0.0.1:8084)', url('--url'))
    .option('--json', 'print the answer as JSON')
    .action(
      async (opts: { since: string; until?: string; tables?: string; url?: string; json?: boolean }) => {
        const base = opts.url ?? endpointsFor().writers;
        const query = new URLSearchParams({ since: opts.since });
        if (opts.until) query.set('until', opts.until);
        if (opts.tables) query.set('tables', opts.tables);
        const answer = (await ask(base, `/writers?${query}`)) as WriterMapAnswer;
        console.log(opts.json ? JSON.stringify(answer, null, 2) : formatWriterMap(answer));
      },
    );
}
