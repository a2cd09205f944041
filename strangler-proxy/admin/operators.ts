import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { ProxyError } from '../errors.ts';
import { tokenMatches } from './admin-token.ts';

/**
 * Named operator tokens: who made a change, for the audit trail. The shared admin token
 * (PROXY_ADMIN_TOKEN or its file) keeps working as the actor `admin` and is the only one that
 * issues and revokes operator tokens. Each operator token is shown once, when issued; the file
 * (`<data>/operators.json`, mode 0600) keeps only its SHA-256, so reading the file gives no
 * token. Revoked tokens stay listed (with the time) so the trail's names keep their meaning.
 */
export interface Operator {
  name: string;
  createdAt: string;
  revokedAt: string | null;
}

interface StoredOperator extends Operator {
  tokenSha256: string;
}

export interface Identity {
  name: string;
  /** The shared admin token: may manage operators. */
  root: boolean;
}

const namePattern = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
const sha256 = (text: string) => createHash('sha256').update(text).digest();

export class OperatorTokens {
  readonly file: string;
  readonly #adminToken: string;
  #cache: { mtimeMs: number; operators: StoredOperator[] } | undefined;

  constructor(dataDir: string, adminToken: string) {
    this.file = path.join(dataDir, 'operators.json');
    this.#adminToken = adminToken;
  }

  /** Who presented this token, or undefined (unknown, revoked, none). */
  async identify(presented: string | undefined): Promise<Identity | undefined> {
    if (presented === undefined) return undefined;
    if (tokenMatches(presented, this.#adminToken)) return { name: 'admin', root: true };
    const digest = sha256(presented);
    let found: StoredOperator | undefined;
    // Every active entry is compared, in constant time each: which one matched leaks nothing.
    for (const op of await this.#load()) {
      const stored = Buffer.from(op.tokenSha256, 'hex');
      const match = stored.length === digest.length && timingSafeEqual(digest, stored);
      if (match && op.revokedAt === null) found = op;
    }
    return found ? { name: found.name, root: false } : undefined;
  }

  async list(): Promise<Operator[]> {
    return (await this.#load()).map(({ name, createdAt, revokedAt }) => ({ name, createdAt, revokedAt }));
  }

  /** Issues a token for a new name; the token is in the answer and nowhere else. */
  async create(name: unknown): Promise<{ operator: Operator; token: string }> {
    if (typeof name !== 'string' || !namePattern.test(name) || name === 'admin')
      throw new ProxyError(
        'PROXY_ERR_OPERATOR_INVALID',
        'send {"name": "alice"}: 1-64 letters, digits, ".", "_", "@" or "-", starting with a letter or digit, not "admin"',
        { status: 400 },
      );
    const operators = await this.#load();
    if (operators.some((o) => o.name === name && o.revokedAt === null))
      throw new ProxyError('PROXY_ERR_OPERATOR_EXISTS', `operator "${name}" already has an active token`, {
        status: 409,
      });
    const token = randomBytes(32).toString('hex');
    const stored: StoredOperator = {
      name,
      createdAt: new Date().toISOString(),
      revokedAt: null,
      tokenSha256: sha256(token).toString('hex'),
    };
    await this.#save([...operators, stored]);
    const { tokenSha256: _, ...operator } = stored;
    return { operator, token };
  }

  async revoke(name: string): Promise<Operator> {
    const operators = await this.#load();
    const active = operators.find((o) => o.name === name && o.revokedAt === null);
    if (!active)
      throw new ProxyError('PROXY_ERR_UNKNOWN_OPERATOR', `no operator "${name}" with an active token`, {
        status: 404,
      });
    active.revokedAt = new Date().toISOString();
    await this.#save(operators);
    const { tokenSha256: _, ...operator } = active;
    return operator;
  }

  /** Re-read when the file changed (another proxy, the gateway, on the same data folder). */
  async #load(): Promise<StoredOperator[]> {
    let mtimeMs: number;
    try {
      mtimeMs = (await fs.stat(this.file)).mtimeMs;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    if (this.#cache?.mtimeMs === mtimeMs) return this.#cache.operators;
    const parsed = JSON.parse(await fs.readFile(this.file, 'utf8')) as { operators?: StoredOperator[] };
    const operators = Array.isArray(parsed.operators) ? parsed.operators : [];
    this.#cache = { mtimeMs, operators };
    return operators;
  }

  /** Whole-file replace (write, fsync, rename): a crash leaves the old file or the new one. */
  async #save(operators: StoredOperator[]): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    const handle = await fs.open(tmp, 'w', 0o600);
    try {
      await handle.write(`${JSON.stringify({ operators }, null, 2)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(tmp, this.file);
    this.#cache = undefined;
  }
}
