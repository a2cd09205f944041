import http from 'node:http';
import { z } from 'zod';
import type { EnvSpec } from './config.ts';
import { ConfigError } from './errors.ts';

/**
 * How long a client may take to send a request, for the HTTP servers behind the proxy (the
 * monolith and the extracted services), like the proxy's own front door: a request head still
 * incomplete after `headersTimeoutMs`, or a whole request (head and body) after
 * `requestTimeoutMs`, is answered 408 and its connection closed. Node's defaults (60 s for the
 * head, checked every 30 s) let a client that trickles header bytes hold a connection for up
 * to 90 s.
 */
export interface HttpTimeouts {
  headersTimeoutMs: number;
  /** 0 = no bound on the whole request (the head is still bounded). */
  requestTimeoutMs: number;
}

export const defaultHttpTimeouts: HttpTimeouts = { headersTimeoutMs: 20_000, requestTimeoutMs: 30_000 };

/** The two settings as fields of a component's config shape (lib/config.ts). */
export const httpTimeoutFields = {
  /** A request head still incomplete after this long gets 408. */
  headersTimeoutMs: z.coerce
    .number()
    .int()
    .min(100, 'must be at least 100 ms')
    .max(600_000, 'must be at most 600000 ms (10 min)')
    .default(defaultHttpTimeouts.headersTimeoutMs),
  /** A request (head and body) still incomplete after this long gets 408; 0 = unbounded. */
  requestTimeoutMs: z.coerce
    .number()
    .int()
    .min(0, 'must be 0 (no bound) or a number of ms')
    .max(3_600_000, 'must be at most 3600000 ms (1 h)')
    .default(defaultHttpTimeouts.requestTimeoutMs),
};

/** The environment names of the two fields: `<PREFIX>_HEADERS_TIMEOUT_MS`, `<PREFIX>_REQUEST_TIMEOUT_MS`. */
export function httpTimeoutEnvNames<P extends string>(prefix: P) {
  return {
    headersTimeoutMs: `${prefix}_HEADERS_TIMEOUT_MS`,
    requestTimeoutMs: `${prefix}_REQUEST_TIMEOUT_MS`,
  } as const satisfies EnvSpec<typeof httpTimeoutFields>;
}

/**
 * What the field schemas cannot check alone: a bounded request must allow at least the time its
 * head may take (node refuses to start otherwise). Throws a ConfigError naming both variables.
 */
export function checkHttpTimeouts(
  component: string,
  timeouts: HttpTimeouts,
  envNames: EnvSpec<typeof httpTimeoutFields>,
): void {
  if (timeouts.requestTimeoutMs > 0 && timeouts.requestTimeoutMs < timeouts.headersTimeoutMs) {
    throw new ConfigError(component, [
      `requestTimeoutMs (env ${envNames.requestTimeoutMs}=${timeouts.requestTimeoutMs}) is shorter than headersTimeoutMs (env ${envNames.headersTimeoutMs}=${timeouts.headersTimeoutMs}): a request cannot be bounded below its own head; raise it, or 0 for no bound`,
    ]);
  }
}

/**
 * A node:http server with those timeouts. Node checks them on a timer fixed when the server is
 * made (30 s by default, so a 20 s head timeout fired after 20–50 s); here the check runs every
 * quarter of the head timeout, at most once a second, so a trickle is cut within
 * `headersTimeoutMs` + 1 s.
 */
export function createHttpServer(handler: http.RequestListener, timeouts: HttpTimeouts): http.Server {
  return http.createServer(
    {
      headersTimeout: timeouts.headersTimeoutMs,
      requestTimeout: timeouts.requestTimeoutMs,
      connectionsCheckingInterval: checkingIntervalMs(timeouts),
    },
    handler,
  );
}

export function checkingIntervalMs(timeouts: HttpTimeouts): number {
  return Math.max(25, Math.min(1000, Math.floor(timeouts.headersTimeoutMs / 4)));
}

/** Listens on host:port; resolves with the server once it is listening, rejects on a listen error. */
export function listenHttp(server: http.Server, port: number, host: string): Promise<http.Server> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}
