import { type RunningSystem, startSystem } from './up/system.ts';

/**
 * `npm start`: the private database (unless MYSQL_URL), the seed when the shop is empty, then
 * every component as its own process, each waited on. Logs are prefixed by component. A
 * component already answering on its port is reused; a port held by anything else stops the
 * start naming the process that holds it. Ctrl-C stops what we started, in reverse start order.
 */
let system: RunningSystem | undefined;
let stopping: Promise<void> | undefined;

async function shutdown(code: number): Promise<never> {
  // A Ctrl-C can arrive twice (the terminal's, and npm's or tsx's relay of it): the second
  // waits for the same ordered stop instead of exiting in the middle of it.
  stopping ??= system?.stop() ?? Promise.resolve();
  await stopping;
  process.exit(code);
}

async function main(): Promise<void> {
  // The components run in their own process groups (startSystem), so a terminal's Ctrl-C or
  // hang-up reaches only this process, and shutdown stops them in reverse start order.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => void shutdown(0));
  system = await startSystem({ echo: process.stdout, log: (line) => console.log(line) });
  console.log(
    `\nstrangler toolkit is up:\n  ${system.lines.join('\n  ')}\n\n` +
      'Next: npx strangler status · npx strangler rehearse products · Ctrl-C stops everything started here.',
  );
  for (const component of system.started) {
    void component.exited.then((code) => {
      if (!stopping) {
        console.error(`${component.name} exited unexpectedly (code ${code}); stopping the rest`);
        void shutdown(1);
      }
    });
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  void shutdown(1);
});
