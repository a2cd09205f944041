import { privateServerStatus } from '../lib/database/private-server.ts';
import { ToolkitError } from '../lib/errors.ts';
import { startLogFormat } from '../lib/log-format.ts';
import { watchLauncher } from './up/launcher.ts';
import { type RunningSystem, startSystem } from './up/system.ts';

/**
 * `npm start`: the private database (unless MYSQL_URL), the seed when the shop is empty, then
 * every component as its own process, each waited on. Logs are prefixed by component. A
 * component already answering on its port is reused, unless the npm start that started it is
 * gone (a half-dead toolkit is reported, never adopted); a port held by anything else stops the
 * start naming the process that holds it. A component that exits on its own is restarted with
 * backoff while the rest keeps serving. Ctrl-C (SIGINT, SIGTERM, SIGHUP), or the death of the
 * npm process that launched this one, stops what we started, in reverse start order, at any
 * point, start-up included.
 */
const abort = new AbortController();
let starting: Promise<RunningSystem> | undefined;
let stopping: Promise<void> | undefined;

async function shutdown(code: number): Promise<never> {
  // A Ctrl-C can arrive twice (the terminal's, and npm's or tsx's relay of it): the second
  // waits for the same ordered stop instead of exiting in the middle of it.
  stopping ??= (async () => {
    // During start-up: startSystem stops what it launched so far, in reverse order, and rejects.
    abort.abort();
    const system = await starting?.catch(() => undefined);
    await system?.stop();
    // npm start never stops the private database (the next start reuses it): say so, and how.
    const db = process.env.MYSQL_URL ? undefined : await privateServerStatus().catch(() => undefined);
    if (db)
      console.log(
        `stopped. The private MariaDB (port ${db.port}) keeps running for the next npm start; npm run db -- stop stops it.`,
      );
  })();
  await stopping;
  process.exit(code);
}

async function main(): Promise<void> {
  // A person at a terminal reads one short line per event; a pipe gets the JSON.
  const formatLine = startLogFormat(process.stdout, process.env);
  // The components run in their own process groups (startSystem), so a terminal's Ctrl-C or
  // hang-up reaches only this process, and shutdown stops them in reverse start order.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  // A closed terminal or a killed `| tee` must not crash the supervisor mid-stop: its components
  // would still stop themselves (they see it die), but not in order.
  process.stdout.on('error', () => {});
  process.stderr.on('error', () => {});
  // SIGKILL of npm (or of the shell or tsx between it and us) sends no signal here: watch them.
  watchLauncher((link) => {
    console.error(
      `the process that launched npm start is gone (pid ${link.pid}'s parent ${link.parent}); stopping`,
    );
    void shutdown(1);
  });
  starting = startSystem({
    echo: process.stdout,
    formatLine,
    log: (line) => console.log(line),
    signal: abort.signal,
    restart: true,
  });
  const system = await starting;
  if (stopping) return;
  console.log(
    `\nstrangler toolkit is up:\n  ${system.lines.join('\n  ')}\n\n` +
      'Next: npx strangler status · npx strangler rehearse products · Ctrl-C stops everything started here.',
  );
}

main().catch((err) => {
  if (stopping) return; // interrupted: shutdown reports and exits
  console.error(
    err instanceof Error ? `${err.message}${err instanceof ToolkitError ? ` (${err.code})` : ''}` : err,
  );
  void shutdown(1);
});
