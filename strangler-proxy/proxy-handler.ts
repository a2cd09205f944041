import type { Socket } from 'node:net';
import { Readable } from 'node:stream';
import type { Logger } from '../lib/log.ts';
import type { Breakers } from './breakers.ts';
import type { ProxyConfig } from './config.ts';
import type { Decision, FlagDecider } from './flags/decider.ts';
import { BodyMeter } from './forward/body-meter.ts';
import { type AttemptOutcome, ForwardAttempt } from './forward/forward-attempt.ts';
import { cookieValue, upstreamRequestHeaders } from './forward/headers.ts';
import { RequestState } from './forward/request-state.ts';
import { classifyUpstreamError } from './forward/upstream-errors.ts';
import type { UpstreamPools } from './forward/upstream-pools.ts';
import type { ProxyStats, RouteTargetStats } from './metrics.ts';
import { type ClientRequest, type ClientResponse, replyError } from './respond.ts';
import { normaliseTarget } from './routes/path-normalise.ts';
import { matchRoute } from './routes/route-matcher.ts';
import { idempotentMethods, type Route, type RouteTable } from './routes/route-table.ts';
import { defaultHookModes, type ShadowHook } from './shadow-hook.ts';

export interface ProxyDeps {
  config: ProxyConfig;
  table: () => RouteTable;
  pools: UpstreamPools;
  breakers: Breakers;
  decider: FlagDecider;
  stats: ProxyStats;
  hook: ShadowHook | undefined;
  log: Logger;
}

/**
 * The hot path: client request (the fast path of front/fast-connections.ts, or node:http) →
 * normalise target → match a precompiled route → flag decision from unleash-client's memory →
 * the upstream pool with streamed bodies. No Express, no per-request closures beyond one state
 * object and one attempt handler.
 */
export function createProxyHandler(deps: ProxyDeps): (req: ClientRequest, res: ClientResponse) => void {
  const { config, pools, breakers, decider, stats, log } = deps;
  const hookModes: ReadonlySet<string> = deps.hook ? (deps.hook.modes ?? defaultHookModes) : new Set();
  const records = new Map<Route | undefined, { legacy: RouteTargetStats; new: RouteTargetStats }>();
  const recordsFor = (route: Route | undefined) => {
    let r = records.get(route);
    if (!r) {
      const id = route?.id ?? 'unmatched';
      r = { legacy: stats.recordFor(id, 'legacy'), new: stats.recordFor(id, 'new') };
      records.set(route, r);
    }
    return r;
  };

  function finish(state: RequestState, side: 'legacy' | 'new', status: number): void {
    const seconds = (performance.now() - state.startedHr) / 1000;
    recordsFor(state.route)[side].record(status, seconds);
    if (state.capture && deps.hook && state.route && state.decision) emitExchange(state, side, seconds);
  }

  function emitExchange(state: RequestState, side: 'legacy' | 'new', seconds: number): void {
    const route = state.route!;
    const mode = state.decision!.mode;
    if (mode === 'legacy') return;
    try {
      deps.hook!.onExchange({
        routeId: route.id,
        mode,
        servedBy: side,
        other: side === 'legacy' ? 'new' : 'legacy',
        otherUpstream: side === 'legacy' ? route.upstreamNew : route.legacy,
        request: {
          method: state.method,
          path: state.path,
          headers: state.headers,
          body: state.meter?.captured(),
          bodyTruncated: state.meter?.truncated ?? false,
        },
        response: {
          status: state.status,
          headers: state.responseHeaders ?? [],
          body: state.capturedResponse(),
          truncated: state.truncated,
        },
        startedAt: state.startedAt,
        durationMs: seconds * 1000,
        fellBack: state.fellBack,
      });
    } catch (err) {
      log.error({ err, route: route.id }, 'shadow hook threw; exchange dropped');
    }
  }

  function failed(state: RequestState, side: 'legacy' | 'new', err: Error, responseStarted: boolean): void {
    const f = classifyUpstreamError(err);
    if (responseStarted) {
      state.res.destroy();
      recordsFor(state.route)[side].record(f.status, (performance.now() - state.startedHr) / 1000);
      return;
    }
    if (f.status === 413) stats.reject('body-too-large');
    replyError(state.res, f.status, f.code, `${side} upstream: ${err.message}`, f.status === 413);
    recordsFor(state.route)[side].record(f.status, (performance.now() - state.startedHr) / 1000);
  }

  function dispatch(state: RequestState, origin: string, attempt: ForwardAttempt): void {
    const route = state.route;
    pools.get(origin).dispatch(
      {
        method: state.method,
        path: state.path,
        headers: state.headers,
        body: state.body,
        headersTimeout: route?.headersTimeout ?? 30_000,
        bodyTimeout: route?.bodyTimeout ?? 60_000,
      },
      attempt,
    );
  }

  function sendLegacy(state: RequestState, origin: string): void {
    dispatch(
      state,
      origin,
      new ForwardAttempt(state, 'legacy', false, (o) => {
        if (o.kind === 'error') failed(state, 'legacy', o.err, o.responseStarted);
        else finish(state, 'legacy', o.status);
      }),
    );
  }

  function fallBack(state: RequestState, reason: string): void {
    const route = state.route!;
    stats.fallback(route.id, reason);
    state.fellBack = true;
    state.resetForRetry();
    sendLegacy(state, route.legacy);
  }

  function sendNew(state: RequestState): void {
    const route = state.route!;
    // A body already streamed to the new side cannot be sent again.
    const replayable = state.body === null;
    const retryOnFailure = replayable && idempotentMethods.has(state.method);
    let outcome: AttemptOutcome | undefined;
    breakers
      .get(route.upstreamNew)
      .fire(
        () =>
          new Promise<void>((resolve, reject) => {
            dispatch(
              state,
              route.upstreamNew,
              new ForwardAttempt(state, 'new', retryOnFailure, (o) => {
                outcome = o;
                if (o.kind === 'served' && o.status < 500) resolve();
                else reject(o);
              }),
            );
          }),
      )
      .then(
        () => finish(state, 'new', outcome!.kind === 'served' ? outcome!.status : 502),
        (err: unknown) => {
          if ((err as { code?: string }).code === 'EOPENBREAKER') return fallBack(state, 'breaker-open');
          const o = outcome!;
          if (o.kind === 'served') return finish(state, 'new', o.status);
          if (o.kind === 'discarded-5xx') return fallBack(state, 'new-5xx');
          const f = classifyUpstreamError(o.err);
          if (state.res.destroyed) return;
          if (!o.responseStarted && f.status !== 413 && (f.neverReceived || retryOnFailure)) {
            return fallBack(state, f.reason);
          }
          failed(state, 'new', o.err, o.responseStarted);
        },
      );
  }

  return function onRequest(req: ClientRequest, res: ClientResponse): void {
    const startedHr = performance.now();
    try {
      const target = normaliseTarget(req.url ?? '');
      if (!target.ok) {
        stats.reject('bad-target');
        replyError(res, 400, target.code, target.reason);
        return;
      }
      const h = upstreamRequestHeaders(req, config.userHeader, config.trustForwarded);
      if (h.contentLength !== undefined && Number(h.contentLength) > config.maxBodyBytes) {
        stats.reject('body-too-large');
        replyError(
          res,
          413,
          'PROXY_ERR_BODY_TOO_LARGE',
          `content-length ${h.contentLength} is over the ${config.maxBodyBytes}-byte limit (PROXY_MAX_BODY_BYTES)`,
          true,
        );
        return;
      }
      const method = req.method!;
      const table = deps.table();
      const route = matchRoute(table, method, target.path);
      let decision: Decision | undefined;
      if (route) {
        const remote = req.socket.remoteAddress;
        decision = decider.decide(route, {
          userId: h.userHeader ?? cookieValue(h.cookie, config.userCookie),
          sessionId: cookieValue(h.cookie, config.sessionCookie) ?? remote,
          remoteAddress: remote,
        });
      }
      const tee = route?.compare === true && hookModes.has(decision!.mode);
      const captureMax = tee ? route!.captureMaxBytes : 0;
      const hasBody = h.chunked || (h.contentLength !== undefined && h.contentLength !== '0');
      let body: Readable | null = null;
      let meter: BodyMeter | undefined;
      if (hasBody) {
        // the fast path never takes a request with a body (front/simple-request.ts)
        if (!(req instanceof Readable)) throw new Error('a request body without its stream');
        req.on('error', noop);
        const captureBody = tee && route!.captureRequestMethods.has(method) ? captureMax : 0;
        if (h.chunked || captureBody > 0) {
          meter = new BodyMeter(config.maxBodyBytes, captureBody);
          req.pipe(meter);
          body = meter;
        } else body = req;
      }
      const path = target.query ? target.path + target.query : target.path;
      const state = new RequestState(
        res,
        method,
        path,
        h.headers,
        body,
        meter,
        route,
        decision,
        config.targetHeader,
        captureMax,
        Date.now(),
        startedHr,
      );
      watchClient(req, state);
      if (!route) sendLegacy(state, table.legacy);
      else if (decision!.serve === 'legacy') sendLegacy(state, route.legacy);
      else sendNew(state);
    } catch (err) {
      log.error({ err }, 'request handler failed');
      replyError(res, 500, 'PROXY_ERR_UPSTREAM_UNREACHABLE', 'internal proxy error');
    }
  };
}

/**
 * A client that goes away mid-response must not keep an upstream request (and its pooled
 * connection) busy. One 'close' listener per client socket, not per request: the socket
 * remembers the request it is serving now.
 */
const kCurrent = Symbol('strangler.current');
type WatchedSocket = Socket & { [kCurrent]?: RequestState };
function watchClient(req: ClientRequest, state: RequestState): void {
  const socket = req.socket as WatchedSocket;
  if (!(kCurrent in socket)) socket.once('close', onClientSocketClose);
  socket[kCurrent] = state;
}
/** Whether the connection is serving a request whose response is not finished yet. */
export function inFlight(socket: Socket): boolean {
  const state = (socket as WatchedSocket)[kCurrent];
  return state !== undefined && !state.res.writableFinished;
}
function onClientSocketClose(this: WatchedSocket): void {
  const state = this[kCurrent];
  this[kCurrent] = undefined;
  if (state && !state.res.writableFinished) state.attempt?.abort(new Error('client closed the connection'));
}
function noop(): void {}
