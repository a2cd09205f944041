/**
 * Turns a request target into the one path the proxy routes on AND forwards, so the route
 * decision and the upstream always see the same thing:
 *   - only origin-form targets (`/path?query`); absolute-URI (`http://host/x`), authority and
 *     `*` forms are rejected, so a request line can never name another host;
 *   - `%2F`/`%5C` (encoded slash/backslash), a raw backslash, and double encoding (`%25` + hex)
 *     are rejected: upstreams decode those differently and could land on another route;
 *   - percent-encoded unreserved characters are decoded (`%2e` → `.`), then `.`/`..` segments
 *     are resolved and `//` collapsed (RFC 3986 §5.2.4), so `/products/../admin` is `/admin`.
 * The query string is passed through untouched; it never takes part in routing.
 */
export type NormaliseResult =
  | { ok: true; path: string; query: string }
  | { ok: false; code: 'PROXY_ERR_BAD_REQUEST_TARGET' | 'PROXY_ERR_BAD_PATH'; reason: string };

const needsWork = /%|\\|\/\.|\/\//;
const hex = /^[0-9A-Fa-f]{2}$/;
const unreserved = /[A-Za-z0-9\-._~]/;

export function normaliseTarget(target: string): NormaliseResult {
  if (target.charCodeAt(0) !== 47 /* / */) {
    return {
      ok: false,
      code: 'PROXY_ERR_BAD_REQUEST_TARGET',
      reason:
        'the request target must be a path starting with "/" (absolute-URI and authority forms are refused)',
    };
  }
  const q = target.indexOf('?');
  const rawPath = q === -1 ? target : target.slice(0, q);
  const query = q === -1 ? '' : target.slice(q);
  if (!needsWork.test(rawPath)) return { ok: true, path: rawPath, query };
  if (rawPath.includes('\\'))
    return { ok: false, code: 'PROXY_ERR_BAD_PATH', reason: 'a backslash in the path is refused' };
  let decoded = '';
  for (let i = 0; i < rawPath.length; i++) {
    const ch = rawPath[i]!;
    if (ch !== '%') {
      decoded += ch;
      continue;
    }
    const pair = rawPath.slice(i + 1, i + 3);
    if (!hex.test(pair))
      return {
        ok: false,
        code: 'PROXY_ERR_BAD_PATH',
        reason: `malformed percent-encoding at "${rawPath.slice(i, i + 3)}"`,
      };
    const code = Number.parseInt(pair, 16);
    if (code === 0x2f || code === 0x5c)
      return {
        ok: false,
        code: 'PROXY_ERR_BAD_PATH',
        reason: 'an encoded slash or backslash in the path is refused',
      };
    if (code === 0x25 && hex.test(rawPath.slice(i + 3, i + 5))) {
      return {
        ok: false,
        code: 'PROXY_ERR_BAD_PATH',
        reason: 'double percent-encoding in the path is refused',
      };
    }
    const char = String.fromCharCode(code);
    decoded += unreserved.test(char) ? char : `%${pair.toUpperCase()}`;
    i += 2;
  }
  return { ok: true, path: removeDotSegments(decoded), query };
}

function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split('/');
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    if (s === '..') out.pop();
    else if (s !== '.' && (s !== '' || i === segments.length - 1)) out.push(s);
  }
  const last = segments[segments.length - 1];
  if ((last === '.' || last === '..') && out[out.length - 1] !== '') out.push('');
  return `/${out.join('/')}`;
}
