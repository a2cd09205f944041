import { fetchText } from '../fetch-text.ts';
import { SwitchError } from './errors.ts';

/**
 * One JSON exchange with a part the switch drives. A part that does not answer is
 * SWITCH_ERR_UNREACHABLE naming it; a non-2xx answer comes back with its status and body, for
 * the caller to read the part's own error code.
 */
export async function callJson(
  part: string,
  url: string,
  init: { method?: string; body?: unknown; token?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: unknown }> {
  const headers: Record<string, string> = {};
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  let answer: { status: number; text: string };
  try {
    answer = await fetchText(url, {
      method: init.method ?? 'GET',
      headers,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
      timeoutMs: init.timeoutMs ?? 5000,
    });
  } catch (cause) {
    throw new SwitchError(
      'SWITCH_ERR_UNREACHABLE',
      `${part} does not answer at ${url}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  let body: unknown = answer.text;
  try {
    body = answer.text ? JSON.parse(answer.text) : undefined;
  } catch {
    // kept as text: the caller names what it expected
  }
  return { status: answer.status, body };
}

/** The `{error: {code, message}}` every part of the toolkit answers a refusal with. */
export function errorOf(body: unknown): { code: string; message: string } | undefined {
  const e = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  return typeof e?.code === 'string' ? { code: e.code, message: String(e.message ?? '') } : undefined;
}

/** A 2xx answer's body, else SWITCH_ERR_BAD_ANSWER naming the part, the status and its error. */
export async function expectOk(
  part: string,
  url: string,
  init: Parameters<typeof callJson>[2] = {},
): Promise<unknown> {
  const { status, body } = await callJson(part, url, init);
  if (status >= 200 && status < 300) return body;
  throw refusal(part, `${init.method ?? 'GET'} ${url}`, status, body);
}

/** SWITCH_ERR_BAD_ANSWER for a part's non-2xx answer: the part, the request, the status and its error. */
export function refusal(part: string, request: string, status: number, body: unknown): SwitchError {
  const e = errorOf(body);
  return new SwitchError(
    'SWITCH_ERR_BAD_ANSWER',
    `${part} answered ${status} to ${request}${e ? `: ${e.code}: ${e.message}` : typeof body === 'string' ? `: ${body.slice(0, 200)}` : ''}`,
    { context: { status, code: e?.code } },
  );
}
