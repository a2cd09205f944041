import { startComponent } from '../../lib/component-process.ts';

/**
 * A minimal supervisor for the no-orphans tests: starts the components named on the command
 * line (JSON: [{name, script, readyLine?, readyUrl?}]) as npm start does, prints `spawned` once
 * every process has been created (before any is ready), then `ready` once all are. The test
 * SIGKILLs it in between.
 */
const specs = JSON.parse(process.argv[2] ?? '[]') as {
  name: string;
  script: string;
  readyLine?: string;
  readyUrl?: string;
}[];
const starting = specs.map((s) =>
  startComponent({ ...s, detached: true, readyTimeoutMs: 90_000, echo: process.stdout }),
);
console.log('spawned');
await Promise.all(starting);
console.log('ready');
setInterval(() => {}, 60_000);
