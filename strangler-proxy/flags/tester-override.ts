import { createHmac, timingSafeEqual } from 'node:crypto';
import { resolveSecret } from '../admin/admin-token.ts';
import type { ProxyConfig } from '../config.ts';
import { ProxyError } from '../errors.ts';

/**
 * A tester's override: a request that carries a valid one is served by the side it names,
 * whatever the route's flag says, so a named tester can try the new service before any user
 * gets it (or check legacy after the cutover). Only the admin API issues them (POST
 * /overrides, audited); a value is `v1.<payload>.<signature>`, the payload (tester, side,
 * routes, expiry) signed with HMAC-SHA256 under a key only the proxy holds, so a public
 * client cannot make one, change one, or keep one past its expiry. A value that does not
 * verify is ignored (the flag decides) and counted. The header is never forwarded upstream.
 */
export const overrideHeader = 'x-strangler-override';
export const overrideCookie = 'strangler_override';
const version = 'v1';
/** An override is for a test session, not a standing exception. */
export const maxOverrideTtlMs = 24 * 60 * 60 * 1000;

export type Side = 'legacy' | 'new';

export interface TesterOverride {
  tester: string;
  side: Side;
  /** Route ids it applies to; null: every route. */
  routes: string[] | null;
  /** Epoch ms. */
  expiresAt: number;
}

export type OverrideCheck =
  | { ok: true; override: TesterOverride }
  | { ok: false; reason: 'malformed' | 'bad-signature' | 'expired' | 'other-route' };

const b64 = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export class OverrideSigner {
  readonly #key: Buffer;

  constructor(secret: string) {
    this.#key = Buffer.from(secret, 'utf8');
  }

  issue(request: unknown, now = Date.now()): { value: string; override: TesterOverride } {
    const override = parseIssueRequest(request, now);
    const payload = b64(
      JSON.stringify({ t: override.tester, s: override.side, r: override.routes, e: override.expiresAt }),
    );
    return { value: `${version}.${payload}.${this.#sign(payload)}`, override };
  }

  /** Whether `value` is a valid, unexpired override for `route`. */
  check(value: string, route: string, now = Date.now()): OverrideCheck {
    const parts = value.split('.');
    if (parts.length !== 3 || parts[0] !== version) return { ok: false, reason: 'malformed' };
    const [, payload, signature] = parts as [string, string, string];
    if (payload === '' || signature === '') return { ok: false, reason: 'malformed' };
    const expected = Buffer.from(this.#sign(payload));
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, expected))
      return { ok: false, reason: 'bad-signature' };
    let body: { t?: unknown; s?: unknown; r?: unknown; e?: unknown };
    try {
      body = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    const routes = Array.isArray(body.r) ? body.r.map(String) : null;
    const override: TesterOverride = {
      tester: String(body.t),
      side: body.s === 'new' ? 'new' : 'legacy',
      routes,
      expiresAt: Number(body.e),
    };
    if (!(override.expiresAt > now)) return { ok: false, reason: 'expired' };
    if (routes !== null && !routes.includes(route)) return { ok: false, reason: 'other-route' };
    return { ok: true, override };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(`${version}.${payload}`).digest('base64url');
  }
}

/** Every process of one proxy signs and checks with the same key (PROXY_OVERRIDE_SECRET or the key file). */
export async function loadOverrideSigner(config: ProxyConfig): Promise<OverrideSigner> {
  const { token } = await resolveSecret(
    config.overrideSecret,
    config.overrideKeyFile,
    'PROXY_OVERRIDE_SECRET',
  );
  return new OverrideSigner(token);
}

function parseIssueRequest(request: unknown, now: number): TesterOverride {
  const r = (typeof request === 'object' && request !== null ? request : {}) as Record<string, unknown>;
  const problems: string[] = [];
  const tester = r.tester;
  if (typeof tester !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(tester))
    problems.push('tester: a name, 1-64 letters, digits, ".", "_", "@" or "-"');
  if (r.side !== 'legacy' && r.side !== 'new') problems.push('side: "legacy" or "new"');
  const ttlSeconds = r.ttlSeconds ?? 3600;
  if (
    typeof ttlSeconds !== 'number' ||
    !Number.isInteger(ttlSeconds) ||
    ttlSeconds <= 0 ||
    ttlSeconds * 1000 > maxOverrideTtlMs
  )
    problems.push(`ttlSeconds: a whole number of seconds, 1 to ${maxOverrideTtlMs / 1000} (default 3600)`);
  const routes = r.routes ?? null;
  if (
    routes !== null &&
    !(Array.isArray(routes) && routes.length > 0 && routes.every((x) => typeof x === 'string'))
  )
    problems.push('routes: a non-empty list of route ids, or leave it out for every route');
  if (problems.length > 0)
    throw new ProxyError('PROXY_ERR_OVERRIDE_INVALID', `cannot issue this override: ${problems.join('; ')}`, {
      status: 400,
    });
  return {
    tester: tester as string,
    side: r.side as Side,
    routes: routes as string[] | null,
    expiresAt: now + (ttlSeconds as number) * 1000,
  };
}
