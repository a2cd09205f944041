import { callJson, errorOf, expectOk, refusal } from './http.ts';

export type WriteSide = 'legacy' | 'new';

export interface RouteWithWrites {
  id: string;
  writes?: { methods: string[]; paths: string[] };
  owns?: string[];
  new?: string;
}

export interface RouteWritesStatus {
  side: WriteSide;
  hold: { id: string; overflow: boolean; heldForMs: number } | null;
  inFlight: { legacy: number; new: number };
  held: number;
}

export interface HoldEnd {
  writesHeld: number;
  maxWaitMs: number;
  holdMs: number;
  side: WriteSide;
  end: 'released' | 'bound';
}

/**
 * The proxy admin API's write endpoints (strangler-proxy/admin/write-endpoints.ts) and the route
 * lookup the write switch needs; the rest of the admin API is scripts/rehearsal/live/proxy-admin.ts's.
 */
export class WriteAdmin {
  constructor(
    readonly url: string,
    private readonly token: string,
  ) {}

  async route(
    id: string,
  ): Promise<{ route: RouteWithWrites | undefined; flag: { mode: string; percent: number } }> {
    const body = (await expectOk('the proxy admin API', `${this.url}/routes`, { token: this.token })) as {
      table: { routes: RouteWithWrites[] };
      flags: Record<string, { mode?: string; percent?: number }>;
    };
    const flag = body.flags?.[id] ?? {};
    return {
      route: body.table?.routes?.find((r) => r.id === id),
      flag: { mode: flag.mode ?? 'unknown', percent: flag.percent ?? 0 },
    };
  }

  async writes(route: string): Promise<RouteWritesStatus> {
    return (await expectOk('the proxy admin API', `${this.url}/writes/${encodeURIComponent(route)}`, {
      token: this.token,
    })) as RouteWritesStatus;
  }

  async hold(route: string, boundMs: number): Promise<string> {
    const body = (await expectOk(
      'the proxy admin API',
      `${this.url}/writes/${encodeURIComponent(route)}/hold`,
      {
        method: 'POST',
        token: this.token,
        body: { boundMs },
      },
    )) as { hold: string };
    return body.hold;
  }

  /** Moves the writes under the hold; false when the hold is gone (its bound let the writes go). */
  async flip(route: string, hold: string, side: WriteSide): Promise<boolean> {
    return this.#underHold(`/writes/${encodeURIComponent(route)}/side`, { hold, side }).then(
      (r) => r !== undefined,
    );
  }

  /** Ends the hold; undefined when it had ended already (its bound). */
  async release(route: string, hold: string, attempt: Record<string, unknown>): Promise<HoldEnd | undefined> {
    return (await this.#underHold(`/writes/${encodeURIComponent(route)}/release`, { hold, attempt })) as
      | HoldEnd
      | undefined;
  }

  /** How a hold ended, from the proxy's recent hold ends (undefined when it is not among them). */
  async holdEnd(hold: string): Promise<HoldEnd | undefined> {
    const body = (await expectOk('the proxy admin API', `${this.url}/writes`, { token: this.token })) as {
      recent?: (HoldEnd & { hold: string })[];
    };
    return body.recent?.find((r) => r.hold === hold);
  }

  async #underHold(pathname: string, body: object): Promise<unknown> {
    const res = await callJson('the proxy admin API', this.url + pathname, {
      method: 'POST',
      token: this.token,
      body,
    });
    if (res.status === 409 && errorOf(res.body)?.code === 'PROXY_ERR_HOLD_GONE') return undefined;
    if (res.status === 200) return res.body;
    throw refusal('the proxy admin API', `POST ${this.url}${pathname}`, res.status, res.body);
  }
}
