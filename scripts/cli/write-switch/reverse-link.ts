import { SwitchError } from './errors.ts';
import { expectOk } from './http.ts';
import { positionText } from './positions.ts';

/**
 * The write switch's one door to table ownership and reverse sync: the service's
 * `GET/PUT /writes/ownership` (`{owned}`: forward apply off for those tables) and the reverse
 * applier's `GET /status`, `POST /reverse/enable`, `POST /reverse/disable` (`{tables}`).
 */
export interface ReverseTable {
  enabled: boolean;
  appliedPosition: string | null;
  headPosition: string | null;
  lagMs: number | null;
  secondWriters: unknown[];
}

export class ReverseLink {
  constructor(
    readonly serviceUrl: string,
    readonly reverseUrl: string,
  ) {}

  async owned(): Promise<string[]> {
    const body = (await expectOk('the service', `${this.serviceUrl}/writes/ownership`)) as {
      owned?: unknown;
    };
    if (!Array.isArray(body?.owned))
      throw new SwitchError(
        'SWITCH_ERR_BAD_ANSWER',
        `the service's GET /writes/ownership has no "owned" list`,
      );
    return body.owned.map(String);
  }

  async setOwned(owned: readonly string[]): Promise<void> {
    await expectOk('the service', `${this.serviceUrl}/writes/ownership`, { method: 'PUT', body: { owned } });
  }

  async status(): Promise<Record<string, ReverseTable>> {
    const body = (await expectOk('reverse sync', `${this.reverseUrl}/status`, { timeoutMs: 2000 })) as {
      tables?: Record<string, Record<string, unknown>>;
    };
    const tables = body?.tables ?? (body as Record<string, Record<string, unknown>>);
    const out: Record<string, ReverseTable> = {};
    for (const [name, t] of Object.entries(tables ?? {})) {
      if (typeof t !== 'object' || t === null) continue;
      out[name] = {
        enabled: t.enabled === true,
        appliedPosition: positionText(t.appliedPosition),
        headPosition: positionText(t.headPosition),
        lagMs: typeof t.lagMs === 'number' ? t.lagMs : null,
        secondWriters: Array.isArray(t.secondWriters) ? t.secondWriters : [],
      };
    }
    return out;
  }

  async enable(tables: readonly string[]): Promise<void> {
    await expectOk('reverse sync', `${this.reverseUrl}/reverse/enable`, { method: 'POST', body: { tables } });
  }

  async disable(tables: readonly string[]): Promise<void> {
    await expectOk('reverse sync', `${this.reverseUrl}/reverse/disable`, {
      method: 'POST',
      body: { tables },
    });
  }
}
