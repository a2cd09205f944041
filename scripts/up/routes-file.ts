import fs from 'node:fs/promises';
import path from 'node:path';
import { repoRoot } from '../../lib/component-process.ts';
import { defaultPorts, type PortName, portOf } from './components.ts';

/**
 * The repository's strangler.routes.json names the default ports. When the monolith or a
 * service runs on another port (env overrides, tests on free ports), the proxy gets a copy of
 * the table with those origins rewritten, under the data folder; the original is untouched.
 * Returns the file the proxy should read.
 */
export async function routesFileFor(env: NodeJS.ProcessEnv, dataDir: string): Promise<string> {
  const original = path.join(repoRoot, 'strangler.routes.json');
  if (env.PROXY_ROUTES_FILE) return env.PROXY_ROUTES_FILE;
  const moved = (['MONOLITH_PORT', 'CATALOG_PORT', 'ORDERS_PORT'] as PortName[]).filter(
    (n) => portOf(env, n) !== defaultPorts[n],
  );
  if (moved.length === 0) return original;
  let text = await fs.readFile(original, 'utf8');
  for (const name of moved) {
    text = text.replaceAll(`//127.0.0.1:${defaultPorts[name]}"`, `//127.0.0.1:${portOf(env, name)}"`);
  }
  const file = path.join(dataDir, `strangler.routes.${portOf(env, 'PROXY_PORT')}.json`);
  await fs.mkdir(dataDir, { recursive: true });
  await fs.writeFile(file, text);
  return file;
}
