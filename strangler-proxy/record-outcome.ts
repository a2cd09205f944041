import type { RequestState } from './forward/request-state.ts';
import type { ProxyContext, SideStats } from './proxy-context.ts';
import type { Route } from './routes/route-table.ts';

/**
 * record: the last step of the request path (request-path.ts). A served request counts for its
 * route and side and, when teed, goes to the shadow hook; a failed one only counts.
 */
export function recordOutcome(state: RequestState, side: 'legacy' | 'new', status: number): void {
  if (state.slot !== undefined) state.slot.release();
  const seconds = (performance.now() - state.startedHr) / 1000;
  statsFor(state.proxy, state.route)[side].record(status, seconds);
  if (state.capture && state.proxy.hook && state.route && state.decision) emitExchange(state, side, seconds);
}

/** A request whose answer failed (the proxy's error, or a cut response): counted, never given to the hook. */
export function recordFailure(state: RequestState, side: 'legacy' | 'new', status: number): void {
  if (state.slot !== undefined) state.slot.release();
  statsFor(state.proxy, state.route)[side].record(status, (performance.now() - state.startedHr) / 1000);
}

function statsFor(proxy: ProxyContext, route: Route | undefined): SideStats {
  let stats = proxy.sideStats.get(route);
  if (!stats) {
    const id = route?.id ?? 'unmatched';
    stats = { legacy: proxy.stats.recordFor(id, 'legacy'), new: proxy.stats.recordFor(id, 'new') };
    proxy.sideStats.set(route, stats);
  }
  return stats;
}

/** The exchange for the shadow hook (its contract: shadow-hook.ts). */
function emitExchange(state: RequestState, side: 'legacy' | 'new', seconds: number): void {
  const route = state.route!;
  const mode = state.decision!.mode;
  if (mode === 'legacy') return;
  try {
    state.proxy.hook!.onExchange({
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
      dryRun: state.dryRun,
    });
  } catch (err) {
    state.proxy.log.error({ err, route: route.id }, 'shadow hook threw; exchange dropped');
  }
}
