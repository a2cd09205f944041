/**
 * The Express middleware's public surface, and its only door: strangler routing mounted in a
 * team's own Express app (docs/gateway.md). Built from the standalone proxy's own modules; see
 * strangler-middleware.ts.
 */
export {
  createStranglerMiddleware,
  type ExpressNext,
  type StranglerMiddleware,
  type StranglerMiddlewareOptions,
} from './strangler-middleware.ts';
