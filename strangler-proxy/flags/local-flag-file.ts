import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ProxyError } from '../errors.ts';
import { describeIssues } from '../routes/route-schema.ts';
import { type FlagState, featureFor, stateOf, type UnleashFeature } from './flag-mapping.ts';
import type { FlagStore } from './flag-store.ts';

/**
 * The embedded flag source's file (`.data/flags.json`): exactly the body of Unleash's
 * `GET /api/client/features` (format version 2), so the admin server can serve it as is and
 * the proxy's unleash-client cannot tell it from a real Unleash.
 */
const featuresSchema = z.object({
  version: z.number().int(),
  features: z.array(
    z
      .object({
        name: z.string().min(1),
        enabled: z.boolean(),
        strategies: z.array(z.object({ name: z.string() }).passthrough()),
      })
      .passthrough(),
  ),
});

export interface FeaturesSnapshot {
  body: string;
  etag: string;
}

export class LocalFlagFile implements FlagStore {
  readonly kind = 'local-file' as const;
  #cache: { mtimeMs: number; size: number; ino: number; snapshot: FeaturesSnapshot } | undefined;

  constructor(readonly file: string) {}

  async read(): Promise<{ version: number; features: UnleashFeature[] }> {
    let text: string;
    try {
      text = await fs.readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { version: 2, features: [] };
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (cause) {
      throw new ProxyError(
        'PROXY_ERR_FLAG_FILE_INVALID',
        `${this.file} is not JSON: ${(cause as Error).message}`,
        { cause },
      );
    }
    const parsed = featuresSchema.safeParse(raw);
    if (!parsed.success) {
      throw new ProxyError(
        'PROXY_ERR_FLAG_FILE_INVALID',
        `${this.file} is not an Unleash features document:\n  - ${describeIssues(parsed.error).join('\n  - ')}`,
      );
    }
    return parsed.data as { version: number; features: UnleashFeature[] };
  }

  /** What `GET /api/client/features` serves; re-read only when the file changed. */
  async snapshot(): Promise<FeaturesSnapshot> {
    const stat = await fs.stat(this.file).catch(() => undefined);
    const key = { mtimeMs: stat?.mtimeMs ?? 0, size: stat?.size ?? 0, ino: stat?.ino ?? 0 };
    if (
      this.#cache &&
      this.#cache.mtimeMs === key.mtimeMs &&
      this.#cache.size === key.size &&
      this.#cache.ino === key.ino
    )
      return this.#cache.snapshot;
    const doc = await this.read();
    const body = JSON.stringify({ version: 2, features: doc.features, query: {} });
    const snapshot = { body, etag: `"${createHash('sha1').update(body).digest('hex').slice(0, 20)}"` };
    this.#cache = { ...key, snapshot };
    return snapshot;
  }

  async get(flag: string): Promise<FlagState> {
    const doc = await this.read();
    return stateOf(doc.features.find((f) => f.name === flag));
  }

  async set(flag: string, state: FlagState): Promise<void> {
    const doc = await this.read();
    const next = featureFor(flag, state);
    const at = doc.features.findIndex((f) => f.name === flag);
    if (at >= 0) doc.features[at] = { ...doc.features[at], ...next };
    else doc.features.push(next);
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`;
    await fs.writeFile(tmp, `${JSON.stringify({ version: 2, features: doc.features }, null, 2)}\n`);
    await fs.rename(tmp, this.file);
  }
}
