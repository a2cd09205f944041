import { once } from 'node:events';
import http from 'node:http';
import type { UnleashFeature } from '../flags/flag-mapping.ts';

/**
 * A minimal Unleash client API for tests that run the real unleash-client: it serves the given
 * flags at `/api/client/features` and accepts (and drops) registration and metrics posts.
 */
export async function serveClientFeatures(
  features: UnleashFeature[],
): Promise<{ url: string; close: () => void }> {
  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/api/client/features')) {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ version: 2, features }));
      return;
    }
    req.resume();
    res.statusCode = 202;
    res.end();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/api/`, close: () => server.close() };
}
