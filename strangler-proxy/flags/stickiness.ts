import { createRequire } from 'node:module';
import { ProxyError } from '../errors.ts';

/**
 * The flexibleRollout bucket of a sticky id, computed here so the request path can skip
 * `unleash.isEnabled` for the flags the proxy writes. It must land every id in the bucket
 * unleash-client's own flexibleRollout strategy picks, or one user would flip sides between
 * the fast path and isEnabled: unleash-client hashes `${groupId}:${id}` with murmurhash3js's
 * x86 32-bit MurmurHash3 (seed 0) and takes `hash % 100 + 1`. stickiness.test.ts checks this
 * function against a real unleash-client deciding thousands of ids at many percentages, and
 * `checkUnleashClientVersion` refuses another unleash-client version than the one checked.
 */

/** The unleash-client version whose flexibleRollout hashing this file reproduces (package.json pins it). */
export const UNLEASH_CLIENT_VERSION = '6.12.1';

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/**
 * MurmurHash3 x86 32-bit of a string as murmurhash3js hashes it: one byte per UTF-16 code
 * unit (the low 8 bits), not the UTF-8 bytes — so a non-ASCII id hashes as unleash-client's does.
 */
export function murmur3x86(key: string, seed: number): number {
  const length = key.length;
  const tail = length & 3;
  const blocks = length - tail;
  let h = seed | 0;
  let i = 0;
  let k: number;
  for (; i < blocks; i += 4) {
    k =
      (key.charCodeAt(i) & 0xff) |
      ((key.charCodeAt(i + 1) & 0xff) << 8) |
      ((key.charCodeAt(i + 2) & 0xff) << 16) |
      ((key.charCodeAt(i + 3) & 0xff) << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (tail > 0) {
    // MurmurHash3's tail: the last 1-3 bytes, folded as one little-endian block
    k = key.charCodeAt(i) & 0xff;
    if (tail > 1) k |= (key.charCodeAt(i + 1) & 0xff) << 8;
    if (tail > 2) k |= (key.charCodeAt(i + 2) & 0xff) << 16;
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** flexibleRollout's bucket, 1..100: the id is in a rollout of `p` percent when this is ≤ p. */
export function rolloutBucket(id: string, groupId: string): number {
  return (murmur3x86(`${groupId}:${id}`, 0) % 100) + 1;
}

/**
 * Throws when the installed unleash-client is not the version `rolloutBucket` was checked
 * against. Its package.json is read through its own name (the package has no exports map,
 * so the path is a public one), never from a file inside it.
 */
export function checkUnleashClientVersion(found = installedUnleashClientVersion()): void {
  if (found !== UNLEASH_CLIENT_VERSION) {
    throw new ProxyError(
      'PROXY_ERR_LIBRARY',
      `unleash-client ${found} is installed, the proxy's rollout bucket was checked against unleash-client ${UNLEASH_CLIENT_VERSION}: run strangler-proxy/flags/stickiness.test.ts against the new version, then update UNLEASH_CLIENT_VERSION`,
      { context: { library: 'unleash-client', found, expected: UNLEASH_CLIENT_VERSION } },
    );
  }
}

export function installedUnleashClientVersion(): string {
  const require = createRequire(import.meta.url);
  return String((require('unleash-client/package.json') as { version?: unknown }).version);
}
