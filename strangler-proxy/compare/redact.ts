/**
 * Redaction for everything the comparison engine keeps (mismatch records, captures):
 * credentials never reach disk. Headers by name; JSON body fields by key at any depth;
 * query parameters by name.
 */
export interface RedactionRules {
  headers: string[];
  fields: string[];
}

export const defaultRedaction: RedactionRules = {
  headers: ['authorization', 'cookie', 'set-cookie', 'proxy-authorization', 'x-api-key'],
  fields: ['password', 'token', 'cardNumber', 'cvv', 'secret'],
};

export const REDACTED = '[redacted]';

export function redactHeaders(
  headers: Record<string, string | undefined>,
  rules: RedactionRules,
): Record<string, string> {
  const names = new Set(rules.headers.map((h) => h.toLowerCase()));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined) out[name] = names.has(name.toLowerCase()) ? REDACTED : value;
  }
  return out;
}

export function redactJson(value: unknown, rules: RedactionRules): unknown {
  const fields = new Set(rules.fields);
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fields.has(k) ? REDACTED : walk(x)]));
    }
    return v;
  };
  return walk(value);
}

/**
 * Diffs carry both sides' values: a differing `$.user.token` would otherwise put the token on
 * disk. A diff whose path names a redacted field (or header) loses its values; any other
 * value is redacted inside (an object that contains a redacted key).
 */
export function redactDiffs<T extends { path: string; legacy?: unknown; new?: unknown }>(
  diffs: T[],
  rules: RedactionRules,
): T[] {
  const fields = new Set(rules.fields);
  const headers = new Set(rules.headers.map((h) => h.toLowerCase()));
  return diffs.map((d) => {
    const header = d.path.startsWith('header:') ? d.path.slice(7).toLowerCase() : undefined;
    const keys = d.path.match(/(?<=\.)[A-Za-z_$][\w$-]*|(?<=\[')[^']*(?='\])/g) ?? [];
    const secret = header ? headers.has(header) : keys.some((k) => fields.has(k));
    if (secret) {
      return {
        ...d,
        ...('legacy' in d ? { legacy: REDACTED } : {}),
        ...('new' in d ? { new: REDACTED } : {}),
      };
    }
    return { ...d, legacy: redactJson(d.legacy, rules), new: redactJson(d.new, rules) };
  });
}

export function redactPath(path: string, rules: RedactionRules): string {
  const q = path.indexOf('?');
  if (q < 0) return path;
  const params = new URLSearchParams(path.slice(q + 1));
  for (const name of rules.fields) if (params.has(name)) params.set(name, REDACTED);
  return `${path.slice(0, q)}?${params.toString()}`;
}

/** A body as kept in a record: JSON redacted and parsed, text as text, binary as base64. */
export function redactBody(
  body: Buffer | undefined,
  contentType: string | undefined,
  rules: RedactionRules,
): unknown {
  if (!body || body.length === 0) return undefined;
  const text = body.toString('utf8');
  if (contentType && /\bjson\b/i.test(contentType)) {
    try {
      return redactJson(JSON.parse(text), rules);
    } catch {
      return text;
    }
  }
  return Buffer.from(text, 'utf8').equals(body) ? text : { base64: body.toString('base64') };
}

/** Flat [name, value, …] header arrays (as undici and the proxy hold them) to an object. */
export function headerObject(flat: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i]!.toLowerCase();
    out[name] = out[name] === undefined ? flat[i + 1]! : `${out[name]}, ${flat[i + 1]}`;
  }
  return out;
}
