import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';

/**
 * A secret the proxy's processes share: the configured value (an environment variable) when
 * set, else a file under the data root, created on first start with 32 random bytes and mode
 * 0600 (only the owner reads it). The admin bearer token (PROXY_ADMIN_TOKEN or
 * proxy-admin.token) and the testers' override key (PROXY_OVERRIDE_SECRET or override.key).
 */
export async function resolveSecret(
  configured: string | undefined,
  file: string,
  envName = 'PROXY_ADMIN_TOKEN',
): Promise<{ token: string; source: string }> {
  if (configured) return { token: configured, source: envName };
  try {
    const existing = (await fs.readFile(file, 'utf8')).trim();
    if (existing.length >= 16) return { token: existing, source: file };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const token = randomBytes(32).toString('hex');
  await fs.mkdir(path.dirname(file), { recursive: true });
  try {
    await fs.writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // another process created it first: use theirs
    if ((err as NodeJS.ErrnoException).code === 'EEXIST')
      return { token: (await fs.readFile(file, 'utf8')).trim(), source: file };
    throw err;
  }
  await fs.chmod(file, 0o600);
  return { token, source: `${file} (generated)` };
}

/** Compares in constant time; hashing first makes the lengths equal so length leaks nothing. */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** `Authorization: Bearer <t>`; Unleash SDKs send the bare token, accepted on the client API. */
export function presentedToken(header: string | undefined, allowBare: boolean): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer\s+(.+)$/i.exec(header);
  if (m) return m[1]!.trim();
  return allowBare ? header.trim() : undefined;
}
