import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { type ComponentProcess, repoRoot, startComponent } from '../lib/component-process.ts';
import { isListening } from '../lib/net.ts';
import { portOwner } from '../lib/port-owner.ts';
import { redactUrl } from './db/binlog-check.ts';
import { resolveServerUrl } from './db/database-url.ts';
import { components } from './up/components.ts';

/**
 * `npm start`: the private database (unless MYSQL_URL), the seed when the shop is empty, then
 * every component as its own process, each waited on through its health URL. Logs are
 * prefixed by component. A component already answering on its port is reused; a port held by
 * anything else stops the start naming the process that holds it. Ctrl-C stops what we started.
 */
const started: ComponentProcess[] = [];
let stopping = false;

async function shutdown(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    for (const component of [...started].reverse()) {
      process.stdout.write(`stopping ${component.name}…\n`);
      await component.stop('SIGTERM');
    }
  }
  process.exit(code);
}

async function healthy(url: string): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.body?.cancel();
    return res.ok;
  } catch {
    return false;
  }
}

async function runSeed(env: NodeJS.ProcessEnv): Promise<void> {
  const tsx = path.join(repoRoot, 'node_modules/tsx/dist/cli.mjs');
  const child = spawn(process.execPath, [tsx, 'scripts/seed.ts', '--if-empty'], {
    cwd: repoRoot,
    env,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const [code] = await once(child, 'exit');
  if (code !== 0) throw new Error(`seeding the shop failed (exit ${code})`);
}

async function main(): Promise<void> {
  process.on('SIGINT', () => void shutdown(0));
  process.on('SIGTERM', () => void shutdown(0));

  const db = await resolveServerUrl();
  console.log(
    `database  ${redactUrl(db.url)}${db.private ? ' (private MariaDB, data in .data/mariadb)' : ''}`,
  );
  const env = { ...process.env, MYSQL_URL: db.url };
  await runSeed(env);

  const lines: string[] = [];
  for (const spec of components(env)) {
    const health = `http://127.0.0.1:${spec.port}${spec.healthPath}`;
    if (await isListening(spec.port)) {
      if (await healthy(health)) {
        lines.push(`${spec.describe(spec.port)}   (already running, reused)`);
        continue;
      }
      const owner = await portOwner(spec.port);
      throw new Error(
        `port ${spec.port} for ${spec.name} is held by ${owner ?? 'another process'} that does not answer ${health}; stop it or set another port`,
      );
    }
    started.push(
      await startComponent({
        name: spec.name,
        script: spec.script,
        args: spec.args,
        env,
        readyUrl: health,
        readyTimeoutMs: 60_000,
        echo: process.stdout,
      }),
    );
    lines.push(spec.describe(spec.port));
  }
  console.log(`\nstrangler toolkit is up:\n  ${lines.join('\n  ')}\n\nCtrl-C stops everything started here.`);
  for (const component of started) {
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
