import {
  ownershipClient,
  ReverseSyncError,
  type ReverseTableStatus,
  reverseSyncClient,
} from '../../../cdc/reverse-sync/index.ts';
import { SwitchError } from './errors.ts';

/**
 * The write switch's one door to table ownership and reverse sync. The HTTP client itself is
 * reverse sync's own (cdc/reverse-sync/client.ts: the service's `GET/PUT /writes/ownership` and
 * the reverse applier's `GET /status`, `POST /reverse/enable|disable`); this keeps the switch's
 * view of it and turns its errors into the switch's codes: a part that does not answer is
 * SWITCH_ERR_UNREACHABLE, a refusal or an unreadable answer SWITCH_ERR_BAD_ANSWER.
 */
export type ReverseTable = ReverseTableStatus;

const askTimeoutMs = 5000;

export class ReverseLink {
  private readonly ownership;
  private readonly reverse;

  constructor(
    readonly serviceUrl: string,
    readonly reverseUrl: string,
  ) {
    this.ownership = ownershipClient(serviceUrl, { timeoutMs: askTimeoutMs });
    // status is polled under the hold: a slow answer is asked again rather than waited for
    this.reverse = reverseSyncClient(reverseUrl, { timeoutMs: 2000 });
  }

  async owned(): Promise<string[]> {
    const body = await asked('the service', this.serviceUrl, () => this.ownership.get());
    if (!Array.isArray(body?.owned))
      throw new SwitchError(
        'SWITCH_ERR_BAD_ANSWER',
        `the service's GET ${this.serviceUrl}/writes/ownership has no "owned" list`,
      );
    return body.owned.map(String);
  }

  async setOwned(owned: readonly string[]): Promise<void> {
    await asked('the service', this.serviceUrl, () => this.ownership.set([...owned]));
  }

  async status(): Promise<Record<string, ReverseTable>> {
    const body = await asked('reverse sync', this.reverseUrl, () => this.reverse.status());
    if (typeof body?.tables !== 'object' || body.tables === null)
      throw new SwitchError(
        'SWITCH_ERR_BAD_ANSWER',
        `reverse sync's GET ${this.reverseUrl}/status has no "tables" object`,
      );
    return body.tables;
  }

  async enable(tables: readonly string[]): Promise<void> {
    await asked('reverse sync', this.reverseUrl, () => this.reverse.enable([...tables]));
  }

  async disable(tables: readonly string[]): Promise<void> {
    await asked('reverse sync', this.reverseUrl, () => this.reverse.disable([...tables]));
  }
}

/** The client's REVERSE_ERR_REMOTE as the switch's code: no answer at all, or an answer it refuses. */
async function asked<T>(part: string, url: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ReverseSyncError)) throw err;
    // the client leaves httpStatus out of the context only when nothing answered
    const answered = typeof err.context.httpStatus === 'number';
    throw new SwitchError(
      answered ? 'SWITCH_ERR_BAD_ANSWER' : 'SWITCH_ERR_UNREACHABLE',
      `${part} ${answered ? 'refused' : 'does not answer'} at ${url}: ${err.message}`,
      {
        cause: err,
        context: { status: err.context.httpStatus, code: err.context.remoteCode },
      },
    );
  }
}
