import path from 'node:path';
import express from 'express';
import { envValue, exitOnConfigError } from '../../lib/config.ts';
import { dataRoot } from '../../lib/database/data-root.ts';
import { ToolkitError } from '../../lib/errors.ts';
import { createLogger } from '../../lib/log.ts';
import { createStranglerMiddleware } from '../../strangler-proxy/middleware/index.ts';

/**
 * An example backend-for-frontend: a team's own Express app with a few routes of its own and
 * the strangler middleware behind them, which sends everything else to the legacy shop or to
 * the extracted services, route by route, as the flags say (docs/gateway.md).
 *
 *   npm run gateway          public :8090, admin 127.0.0.1:8091, routes strangler.routes.json
 *
 * It reads the proxy's settings (PROXY_*, UNLEASH_*), with its own defaults where a proxy
 * started beside it would collide: its ports, and its own state folder `<data>/gateway`
 * (comparison store, admin token, unleash backup). The flag file stays the proxy's
 * (`<data>/flags.json`), so `npx strangler shift products 25` moves both.
 */
const log = createLogger('gateway');

async function main(): Promise<void> {
  const data = dataRoot();
  let strangler: Awaited<ReturnType<typeof createStranglerMiddleware>>;
  try {
    strangler = await createStranglerMiddleware({
      log,
      settings: {
        // an environment variable wins over these defaults: the override only stands in for it
        port: envValue('PROXY_PORT') ?? 8090,
        adminPort: envValue('PROXY_ADMIN_PORT') ?? 8091,
        dataDir: envValue('STRANGLER_DATA_DIR') === undefined ? path.join(data, 'gateway') : undefined,
        flagsFile: envValue('PROXY_FLAGS_FILE') ?? path.join(data, 'flags.json'),
      },
    });
  } catch (err) {
    if (!(err instanceof ToolkitError) || !err.code.startsWith('PROXY_ERR_ROUTE_FILE'))
      exitOnConfigError(err);
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const config = strangler.config;

  const app = express();
  app.disable('x-powered-by');
  // The team's own routes come first: the BFF answers these itself.
  app.get('/bff/health', (_req, res) => {
    res.json({
      status: 'ok',
      flagsReady: strangler.decider.ready,
      strangled: strangler.table().routes.map((r) => r.id),
    });
  });
  app.get('/bff/session', (req, res) => {
    // what the strangler routes buckets this client by (the user header, else the uid cookie)
    res.json({ userId: req.get(config.userHeader) ?? null, cookie: req.get('cookie') ?? null });
  });
  // Everything else: strangler routing. Mount it before any body parser: it streams request
  // bodies to the upstream itself.
  app.use(strangler.handler);

  const server = app.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as { port: number }).port;
  // Printed at any log level: launchers and tests wait for this line.
  console.log(`strangler-gateway ready on http://${config.host}:${port} (admin ${strangler.adminUrl})`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    server.close();
    server.closeIdleConnections();
    await strangler.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
}

main().catch((err) => {
  log.fatal({ err }, 'gateway failed to start');
  process.exit(1);
});
