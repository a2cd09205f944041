import type { Logger } from '../../lib/log.ts';
import { ProxyError } from '../errors.ts';
import { UnleashAdminStore } from './unleash-admin-store.ts';

export interface UnleashAccess {
  unleashUrl: string;
  unleashApiToken?: string;
  unleashAdminToken?: string;
  unleashProject: string;
  unleashEnvironment: string;
}

/**
 * Checked once when the proxy starts against a real Unleash (UNLEASH_URL): one client API read
 * with UNLEASH_API_TOKEN and, when set, one Admin API read with UNLEASH_ADMIN_TOKEN.
 *
 * Why: unleash-client answers a 401/403 by emitting an error and stopping its polling for good,
 * so a proxy started with a wrong client token would run on, every route on legacy (or on an
 * old backup), with nothing but a log line to say why. A refused token, or a UNLEASH_URL that
 * is not Unleash's API base (404), or a client token of another environment or project than the
 * one shifts write to, throws PROXY_ERR_UNLEASH_TOKEN instead, and the proxy does not start. An Unleash that cannot be reached is not a reason to refuse: unleash-client keeps
 * its flags on disk so that a proxy restarts while Unleash is down; that is logged and the
 * start goes on.
 */
export async function checkUnleashAccess(access: UnleashAccess, log: Logger): Promise<void> {
  const features = `${access.unleashUrl.replace(/\/+$/, '')}/client/features`;
  let res: Response;
  try {
    res = await fetch(features, {
      headers: access.unleashApiToken ? { authorization: access.unleashApiToken } : {},
      signal: AbortSignal.timeout(5000),
    });
  } catch (err) {
    log.warn(
      { url: features, err: (err as Error).message },
      'Unleash cannot be reached: starting from the flags unleash-client kept on disk, every route legacy without them',
    );
    return;
  }
  const text = (await res.text()).slice(0, res.ok ? Number.POSITIVE_INFINITY : 300);
  if (res.ok) checkScope(access, text);
  if (res.status === 401 || res.status === 403)
    throw new ProxyError(
      'PROXY_ERR_UNLEASH_TOKEN',
      `Unleash at ${access.unleashUrl} refused UNLEASH_API_TOKEN${access.unleashApiToken ? '' : ' (not set)'}: GET ${features} answered ${res.status}: ${text}; it needs a client (backend) token for environment "${access.unleashEnvironment}"`,
      { status: 502 },
    );
  if (res.status === 404)
    throw new ProxyError(
      'PROXY_ERR_UNLEASH_TOKEN',
      `UNLEASH_URL ${access.unleashUrl} is not Unleash's API base: GET ${features} answered 404; give the client API base, e.g. https://unleash.example/api`,
      { status: 502 },
    );
  if (!res.ok)
    log.warn({ url: features, status: res.status, body: text }, 'Unleash answered an error: polling goes on');
  if (access.unleashAdminToken)
    await new UnleashAdminStore(
      access.unleashUrl,
      access.unleashAdminToken,
      access.unleashProject,
      access.unleashEnvironment,
    ).check();
}

/**
 * Unleash scopes a client token to one environment and some projects, and says which in its
 * answer (`query`). A token of another environment than UNLEASH_ENVIRONMENT would have the proxy
 * read flags that shifts never write: refused like a wrong token.
 */
function checkScope(access: UnleashAccess, body: string): void {
  let query: { environment?: unknown; project?: unknown } | undefined;
  try {
    query = (JSON.parse(body) as { query?: typeof query }).query;
  } catch {
    return; // not Unleash's own answer shape (an Edge or a proxy in between): nothing to compare
  }
  const env = query?.environment;
  if (typeof env === 'string' && env !== access.unleashEnvironment)
    throw new ProxyError(
      'PROXY_ERR_UNLEASH_TOKEN',
      `UNLEASH_API_TOKEN is a token of environment "${env}" but UNLEASH_ENVIRONMENT is "${access.unleashEnvironment}": the proxy would read flags that shifts never write; use a client token of "${access.unleashEnvironment}" or set UNLEASH_ENVIRONMENT=${env}`,
      { status: 502 },
    );
  const projects = query?.project;
  if (Array.isArray(projects) && !projects.includes('*') && !projects.includes(access.unleashProject))
    throw new ProxyError(
      'PROXY_ERR_UNLEASH_TOKEN',
      `UNLEASH_API_TOKEN reads project(s) ${projects.join(', ')} but UNLEASH_PROJECT is "${access.unleashProject}": the proxy would never see the flags shifts write there`,
      { status: 502 },
    );
}
