import { Readable } from 'node:stream';
import { setWriteDecision } from '../flags/write-side.ts';
import { forwardWrite } from '../forward/forward-request.ts';
import type { RequestState } from '../forward/request-state.ts';
import { trackRequest } from '../front/client-connections.ts';
import { type ClientRequest, replyError } from '../respond.ts';
import { WriteInFlight } from './write-gate.ts';
import type { WriteSide } from './write-state.ts';

/**
 * The write step of the request path (request-path.ts) for a write a route lists in its
 * `writes`: it goes to the side the route's writes are on (writes/write-gate.ts), or waits
 * there while a write switch holds them. No breaker and no fallback: a write that reached one
 * system of record is never sent to the other.
 */

export function admitWrite(
  state: RequestState,
  req: ClientRequest,
  openBody: (state: RequestState, req: ClientRequest) => void,
): void {
  // a held request's client may hang up before it goes on: that must not be an unhandled error
  if (req instanceof Readable) req.on('error', noop);
  // tracked from now: a connection whose write is held is not idle
  trackRequest(req.socket, state);
  state.proxy.writes!.admit(state.route!.id, (side) => sendWrite(state, req, side, openBody));
}

function sendWrite(
  state: RequestState,
  req: ClientRequest,
  side: WriteSide,
  openBody: (state: RequestState, req: ClientRequest) => void,
): void {
  if (state.res.destroyed || req.socket.destroyed) return; // the client left while it was held
  try {
    // on legacy outside plain legacy the new service also gets a dry-run copy (flags/write-side.ts)
    setWriteDecision(state, side);
    openBody(state, req);
    state.slot = new WriteInFlight(state.proxy.writes!, state.route!.id, side);
    forwardWrite(state, side);
  } catch (err) {
    // what onRequest's try/catch is for a request that did not wait
    state.proxy.log.error({ err, route: state.route!.id }, 'request handler failed');
    state.slot?.release();
    replyError(state.res, 500, 'PROXY_ERR_UPSTREAM_UNREACHABLE', 'internal proxy error');
  }
}

function noop(): void {}
