import http from 'node:http';
import express from 'express';
import { createProxyMiddleware } from 'http-proxy-middleware';
import { createLogger } from '../../lib/log.ts';
import { createStranglerMiddleware } from '../../strangler-proxy/middleware/index.ts';

/**
 * The gateway bench's Express app (scripts/bench/gateway.ts), its own process:
 *   tsx scripts/bench/gateway-app.ts <upstream origin>
 * with the proxy's settings in the environment (PROXY_PORT, PROXY_ROUTES_FILE…). Two ways to
 * the same upstream in one app, so their CPU per request compares like for like:
 *   /plain/…  the team's plain http-proxy-middleware route: createProxyMiddleware with its
 *             defaults and a keep-alive agent (without one every request opens a connection)
 *   anything else  the strangler middleware (route table, flags, breaker, counters)
 */
const upstream = process.argv[2];
if (!upstream) throw new Error('usage: gateway-app.ts <upstream origin>');

const strangler = await createStranglerMiddleware({ log: createLogger('bench-gateway') });
const app = express();
app.disable('x-powered-by');
app.use(
  '/plain',
  createProxyMiddleware({
    target: upstream,
    agent: new http.Agent({ keepAlive: true, maxSockets: strangler.config.connectionsPerUpstream }),
  }),
);
app.use(strangler.handler);
const server = app.listen(strangler.config.port, strangler.config.host, () => {
  console.log(`bench-gateway ready on ${(server.address() as { port: number }).port}`);
});
const stop = async () => {
  server.close();
  server.closeAllConnections();
  await strangler.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
