import { Readable } from 'node:stream';
import { answerAggregate } from './aggregate/answer-aggregate.ts';
import type { Decision, StickyContext } from './flags/decider.ts';
import { overrideCookie, type Side } from './flags/tester-override.ts';
import { setWriteDecision } from './flags/write-side.ts';
import { BodyMeter } from './forward/body-meter.ts';
import { forwardRequest } from './forward/forward-request.ts';
import type { RequestHeaderResult } from './forward/headers.ts';
import { cookieValue, upstreamRequestHeaders } from './forward/headers.ts';
import { RequestState } from './forward/request-state.ts';
import { type ClientHandler, trackRequest } from './front/client-connections.ts';
import { type RateLimitSpec, type RateLimitVerdict, rateLimitMessage } from './limits/rate-limit.ts';
import { enterBulkhead } from './limits/route-bulkheads.ts';
import { ProxyContext, type ProxyDeps } from './proxy-context.ts';
import { type ClientRequest, type ClientResponse, replyError } from './respond.ts';
import { normaliseTarget } from './routes/path-normalise.ts';
import { matchRoute } from './routes/route-matcher.ts';
import type { Route } from './routes/route-table.ts';
import { admitWrite } from './writes/write-path.ts';

/**
 * The request path, top to bottom. Every client request goes through these steps in this
 * order; each is a plain function of the request's one state object (forward/request-state.ts):
 *
 *   accept   front/client-connections.ts  owns the client socket: the fast path serves plain
 *                                         requests itself, node:http the rest; both call onRequest
 *   parse    parseRequest (below)         the target normalised, the headers made ready for the
 *                                         upstream, the body limit checked
 *   match    matchRoute                   routes/route-matcher.ts: the first route that matches
 *   limit    limitThenProceed (below)     only for a route with a rateLimit: limits/rate-limit.ts
 *                                         says whether the client or the route is over it (429)
 *            answerAggregate              an aggregation route answers itself from its parts
 *                                         (aggregate/answer-aggregate.ts) and skips the rest
 *   write    admitWrite                   writes/write-path.ts: a write a route lists goes to the
 *                                         side the route's writes are on, or waits while they are
 *                                         held by a write switch; no breaker, no fallback
 *   decide   decideSide (below)           which side serves: a tester's signed override, else the
 *                                         flag's mode and, for a canary, the sticky share
 *                                         (flags/decider.ts); whether it is teed
 *   bulkhead enterBulkhead                limits/route-bulkheads.ts: only for a route with a
 *                                         bulkhead: wait for a slot, or 503 with Retry-After
 *   forward  forwardRequest               forward/forward-request.ts: the upstream call, the
 *                                         new side's breaker, the fallback to legacy
 *   answer   ClientAnswer                 forward/answer-client.ts: the upstream's response
 *                                         streamed to the client, or the proxy's error
 *   record   recordOutcome                record-outcome.ts: counters, the shadow hook
 *
 * The hot path (docs/proxy.md): no Express, and every step a hoisted function, so the steps
 * make no closure for a request legacy serves; on the new side the breaker's promise needs four.
 * The Express middleware (middleware/, docs/gateway.md) runs these same steps inside a team's
 * app, with http-proxy-middleware as the forward step's upstream client.
 */
export function createRequestPath(
  deps: ProxyDeps,
): ClientHandler & ((req: ClientRequest, res: ClientResponse, unmatched?: () => void) => void) {
  const proxy = new ProxyContext(deps);
  /** `unmatched`: the Express middleware's `next` (middleware/), when no route's request goes on in the app. */
  return function onRequest(req: ClientRequest, res: ClientResponse, unmatched?: () => void): void {
    const startedHr = performance.now();
    let state: RequestState | undefined;
    try {
      state = parseRequest(proxy, req, res, startedHr);
      if (state === undefined) return; // refused, and answered
      const table = proxy.table();
      const route = matchRoute(table, state.method, state.routePath);
      state.route = route;
      if (route === undefined && unmatched !== undefined) {
        unmatched();
        return;
      }
      // one property test on routes without a limit (the hot path)
      if (route !== undefined && route.spec.rateLimit !== undefined)
        limitThenProceed(state, req, table.legacy, route.spec.rateLimit);
      else proceed(state, req, table.legacy);
    } catch (err) {
      proxy.log.error({ err }, 'request handler failed');
      state?.slot?.release();
      replyError(res, 500, 'PROXY_ERR_UPSTREAM_UNREACHABLE', 'internal proxy error');
    }
  };
}

/**
 * parse: the target normalised (routes/path-normalise.ts), the headers the upstream will get
 * (forward/headers.ts), a declared body over PROXY_MAX_BODY_BYTES refused. Returns the
 * request's state, or undefined when the request was refused (and answered).
 */
function parseRequest(
  proxy: ProxyContext,
  req: ClientRequest,
  res: ClientResponse,
  startedHr: number,
): RequestState | undefined {
  const target = normaliseTarget(req.url ?? '');
  if (!target.ok) {
    proxy.stats.reject('bad-target');
    replyError(res, 400, target.code, target.reason);
    return undefined;
  }
  const config = proxy.config;
  const head = upstreamRequestHeaders(req, config.userHeader, config.trustForwarded);
  if (head.contentLength !== undefined && Number(head.contentLength) > config.maxBodyBytes) {
    proxy.stats.reject('body-too-large');
    replyError(
      res,
      413,
      'PROXY_ERR_BODY_TOO_LARGE',
      `content-length ${head.contentLength} is over the ${config.maxBodyBytes}-byte limit (PROXY_MAX_BODY_BYTES)`,
      true,
    );
    return undefined;
  }
  const path = target.query ? target.path + target.query : target.path;
  return new RequestState(proxy, res, req.method!, target.path, path, head, Date.now(), startedHr);
}

/** decide, then forward (which answers and records); an aggregation route answers from its parts. */
function proceed(state: RequestState, req: ClientRequest, legacy: string): void {
  if (state.route?.aggregate) {
    // an aggregation route answers itself, from several upstreams (aggregate/)
    trackRequest(req.socket, state);
    answerAggregate(state, stickyContext(state, req));
    return;
  }
  if (state.proxy.writes !== undefined && state.route?.writeMethods.has(state.method)) {
    // a write the route lists: to the side its writes are on, or held by a write switch (writes/)
    admitWrite(state, req, openRequestBody);
    return;
  }
  decideSide(state, req);
  openRequestBody(state, req);
  trackRequest(req.socket, state);
  if (state.route?.bulkhead !== undefined) enterBulkhead(state, legacy);
  else forwardRequest(state, legacy);
}

/**
 * limit: the route's rate limits (limits/rate-limit.ts) are asked before anything else happens
 * to the request; over a limit it gets 429 with Retry-After and no upstream is touched. Counted
 * per route and reason (strangler_proxy_rate_limited_total).
 */
function limitThenProceed(
  state: RequestState,
  req: ClientRequest,
  legacy: string,
  limit: RateLimitSpec,
): void {
  const proxy = state.proxy;
  const routeId = state.route!.id;
  const client = { userId: userIdOf(state.head, proxy.config.userCookie), address: req.socket.remoteAddress };
  proxy
    .rateLimits(routeId, limit, client)
    .then((verdict) => {
      if (verdict.limited) return replyRateLimited(state, req, limit, verdict);
      if (verdict.unchecked) proxy.stats.rateLimit(routeId, 'unchecked');
      if (state.res.destroyed || req.socket.destroyed) return; // the client left while the limit was asked
      proceed(state, req, legacy);
    })
    // what onRequest's try/catch is for the synchronous path: the check or a later step threw
    .catch((err: unknown) => {
      proxy.log.error({ err, route: routeId }, 'request handler failed');
      state.slot?.release();
      replyError(state.res, 500, 'PROXY_ERR_UPSTREAM_UNREACHABLE', 'internal proxy error');
    });
}

function replyRateLimited(
  state: RequestState,
  req: ClientRequest,
  limit: RateLimitSpec,
  verdict: Extract<RateLimitVerdict, { limited: true }>,
): void {
  const routeId = state.route!.id;
  state.proxy.stats.rateLimit(routeId, verdict.reason);
  // a body is never read for a refused request: closing spares reading it just to drop it
  const head = state.head;
  const hasBody = head.chunked || (head.contentLength !== undefined && head.contentLength !== '0');
  if (hasBody && req instanceof Readable) req.on('error', noop);
  replyError(state.res, 429, 'PROXY_ERR_RATE_LIMITED', rateLimitMessage(routeId, limit, verdict), hasBody, [
    'retry-after',
    String(verdict.retryAfterSeconds),
  ]);
}

/** The user id stickiness uses: the user header, else the user cookie. */
function userIdOf(head: RequestHeaderResult, userCookie: string): string | undefined {
  return head.userHeader ?? cookieValue(head.cookie, userCookie);
}

/**
 * decide: for a matched route, which side serves. The flag decider (flags/decider.ts) reads the
 * route's mode and, for a canary or shadow share, buckets the sticky id: the user header or
 * cookie, else the session cookie, else the client address. The exchange is teed for the
 * shadow hook when the route compares and the hook wants this mode. A write of the route
 * (`writes`) is decided on the route's stage by flags/write-side.ts: served by its write side,
 * teed as a dry run when legacy executes it outside plain legacy.
 */
function decideSide(state: RequestState, req: ClientRequest): void {
  const route = state.route;
  if (route === undefined) return;
  const proxy = state.proxy;
  if (route.writeMethods.has(state.method)) {
    // a front end without write control (none given): the route's writes stay on legacy
    setWriteDecision(state, 'legacy');
    return;
  }
  // a tester's override picks the side of reads only: a write never gets a second writer
  const decision = testerOverride(state, route) ?? proxy.decider.decide(route, stickyContext(state, req));
  state.decision = decision;
  if (route.compare && proxy.hookModes.has(decision.mode)) state.captureMax = route.captureMaxBytes;
}

const overrideDecisions: Record<Side, Decision> = {
  legacy: Object.freeze({ mode: 'legacy', serve: 'legacy', shadow: false }),
  new: Object.freeze({ mode: 'new', serve: 'new', shadow: false }),
};

/**
 * A named tester's signed override (header or cookie) serves the side it names, whatever the
 * flag says; one that does not verify is ignored, and both are counted. No override (nearly
 * every request): one property read and one cookie scan.
 */
function testerOverride(state: RequestState, route: Route): Decision | undefined {
  const proxy = state.proxy;
  const value = state.head.override ?? cookieValue(state.head.cookie, overrideCookie);
  if (value === undefined || proxy.overrides === undefined) return undefined;
  const check = proxy.overrides.check(value, route.id);
  if (!check.ok) {
    proxy.stats.override(route.id, 'ignored', check.reason);
    return undefined;
  }
  proxy.stats.override(route.id, check.override.side, 'applied');
  return overrideDecisions[check.override.side];
}

/** The ids a canary buckets on: the user header or cookie, else the session cookie, else the address. */
function stickyContext(state: RequestState, req: ClientRequest): StickyContext {
  const config = state.proxy.config;
  const head = state.head;
  const remote = req.socket.remoteAddress;
  return {
    userId: userIdOf(head, config.userCookie),
    sessionId: cookieValue(head.cookie, config.sessionCookie) ?? remote,
    remoteAddress: remote,
  };
}

/**
 * The request body as the upstream will get it: the client's stream, or a meter it runs
 * through when it is chunked (the size limit) or captured for the shadow hook.
 */
function openRequestBody(state: RequestState, req: ClientRequest): void {
  const head = state.head;
  if (!head.chunked && (head.contentLength === undefined || head.contentLength === '0')) return;
  // the fast path never takes a request with a body (front/simple-request.ts)
  if (!(req instanceof Readable)) throw new Error('a request body without its stream');
  req.on('error', noop);
  // a dry-run copy needs the body the upstream got, whatever the route captures otherwise
  const captureBody =
    state.captureMax > 0 && (state.dryRun || state.route!.captureRequestMethods.has(state.method))
      ? state.captureMax
      : 0;
  if (head.chunked || captureBody > 0) {
    const meter = new BodyMeter(state.proxy.config.maxBodyBytes, captureBody);
    req.pipe(meter);
    state.meter = meter;
    state.body = meter;
  } else state.body = req;
}

function noop(): void {}
