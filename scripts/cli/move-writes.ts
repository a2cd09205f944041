import type { Command } from 'commander';
import { envValue } from '../../lib/config.ts';
import { resolveServerUrl } from '../../lib/database/server-url.ts';
import { readAdminToken } from '../rehearsal/live/proxy-admin.ts';
import { endpointsFor } from '../up/endpoints.ts';
import { duration, url } from './options.ts';
import { SwitchError } from './write-switch/errors.ts';
import { type Attempt, moveWrites } from './write-switch/move-writes.ts';

/** One line per figure of an attempt, as the proxy logs it too. */
export function formatAttempt(a: Attempt): string {
  const figures = [
    a.holdMs !== undefined ? `held ${a.holdMs} ms` : undefined,
    a.writesHeld !== undefined
      ? `${a.writesHeld} write${a.writesHeld === 1 ? '' : 's'} held (longest ${a.maxWaitMs} ms)`
      : undefined,
    a.drainMs !== undefined ? `in flight done in ${a.drainMs} ms` : undefined,
    a.catchUpMs !== undefined ? `caught up in ${a.catchUpMs} ms` : undefined,
    a.commitMs !== undefined ? `flip to release ${a.commitMs} ms` : undefined,
  ].filter(Boolean);
  const position =
    typeof a.position === 'string' ? a.position : a.position ? JSON.stringify(a.position) : undefined;
  return [
    `${a.route}: writes ${a.from} → ${a.to}: ${a.outcome}${a.reason ? ` (${a.reason})` : ''}`,
    `  tables ${a.tables.join(', ')}; bound ${a.boundMs} ms${position ? `; position ${position}` : ''}`,
    ...(figures.length > 0 ? [`  ${figures.join('; ')}`] : []),
  ].join('\n');
}

export function registerMoveWrites(program: Command): void {
  const e = endpointsFor();
  program
    .command('move-writes <route>')
    .description(
      "move a route's writes to its service (guarded: reads at 100 % new, no other writer of its tables, held until the service caught up), or back with --back",
    )
    .option('--back', 'move the writes back to legacy (reverse sync caught up first)')
    .option(
      '--bound <duration>',
      'how long writes may be held before the switch aborts',
      duration('--bound'),
      5000,
    )
    .option(
      '--since <when>',
      "the writer map's observation window: a duration back (1h, 30m) or an ISO time",
      '1h',
    )
    .option('--admin <url>', 'proxy admin API', url('--admin'), e.admin)
    .option('--token-file <file>', 'admin token file (PROXY_ADMIN_TOKEN wins when set)', e.adminTokenFile)
    .option('--mysql-url <url>', 'the legacy database (default $MYSQL_URL, else the private MariaDB)')
    .option('--connector <url>', 'the connector (its /status)', url('--connector'), e.connector)
    .option('--writers <url>', 'the writer map', url('--writers'), e.writers)
    .option(
      '--reverse <url>',
      'the reverse sync applier (REVERSE_URL when set)',
      url('--reverse'),
      envValue('REVERSE_URL') ?? e.reverseSync,
    )
    .option(
      '--service <url>',
      'the service that takes the tables: the one whose store the reverse applier reads (the catalog npm start runs)',
      url('--service'),
      e.catalog,
    )
    .option('--json', 'print the attempt as JSON')
    .action(async (routeId: string, opts) => {
      const attempt = await moveWrites({
        route: routeId,
        back: Boolean(opts.back),
        boundMs: Math.round(opts.bound),
        since: opts.since,
        parts: {
          admin: opts.admin,
          token: await readAdminToken(opts.tokenFile, e.adminToken),
          // the private MariaDB is looked up (or started) only once the switch reads legacy's binlog
          legacyMysqlUrl: opts.mysqlUrl ?? (async () => (await resolveServerUrl()).url),
          connector: opts.connector,
          writers: opts.writers,
          reverse: opts.reverse,
          service: opts.service,
        },
        say: opts.json ? undefined : (line) => console.log(`… ${line}`),
      });
      console.log(opts.json ? JSON.stringify(attempt, null, 2) : formatAttempt(attempt));
      if (attempt.outcome === 'aborted')
        throw new SwitchError('SWITCH_ERR_ABORTED', `${routeId}: nothing changed: ${attempt.reason}`);
      if (attempt.outcome === 'incomplete')
        throw new SwitchError(
          'SWITCH_ERR_INCOMPLETE',
          `${routeId}: run strangler move-writes ${routeId}${opts.back ? ' --back' : ''} again to finish`,
        );
    });
}
