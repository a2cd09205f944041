/**
 * An HTTP call with a deadline over the whole exchange, body included. The deadline timer is
 * a plain (ref'd) setTimeout on purpose: AbortSignal.timeout() does not keep Node alive, so a
 * CLI whose only pending work is a hung request would exit silently with status 0 instead of
 * reporting the timeout.
 */
export async function fetchText(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; text: string }> {
  const controller = new AbortController();
  const ms = init.timeoutMs ?? 10_000;
  const timer = setTimeout(() => controller.abort(new Error(`no answer from ${url} within ${ms} ms`)), ms);
  try {
    const res = await fetch(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal: controller.signal,
    });
    return { status: res.status, text: await res.text() };
  } finally {
    clearTimeout(timer);
  }
}

/** fetchText plus JSON.parse; a body that is not JSON comes back as its text. */
export async function fetchJson(url: string, timeoutMs = 10_000): Promise<{ status: number; body: unknown }> {
  const { status, text } = await fetchText(url, { timeoutMs });
  try {
    return { status, body: text ? JSON.parse(text) : undefined };
  } catch {
    return { status, body: text };
  }
}
