/**
 * How `npm start` restarts a component that exits on its own: after 1 s, then 2, 4, 8 and
 * 16 s, then every 30 s (capped exponential), for as long as it keeps failing. A component
 * that stayed up for 60 s counts as recovered: its next failure starts again at 1 s.
 */
export const restartPolicy = {
  firstDelayMs: 1000,
  maxDelayMs: 30_000,
  stableAfterMs: 60_000,
} as const;

/** The wait before restart attempt `attempt` (1-based). */
export function restartDelayMs(attempt: number, policy = restartPolicy): number {
  return Math.min(policy.firstDelayMs * 2 ** Math.max(0, attempt - 1), policy.maxDelayMs);
}

/** The last non-empty lines of a component's output, each cut to `width` characters. */
export function outputTail(output: string, lines = 5, width = 300): string[] {
  return output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.length > 0)
    .slice(-lines)
    .map((l) => (l.length > width ? `${l.slice(0, width)}…` : l));
}

/** A pino JSON line's message (and error), or the line itself. */
function readable(line: string): string {
  try {
    const o = JSON.parse(line) as { msg?: unknown; err?: unknown };
    if (typeof o.msg === 'string') {
      const err =
        typeof o.err === 'string'
          ? o.err
          : o.err && typeof o.err === 'object' && 'message' in o.err
            ? String((o.err as { message: unknown }).message)
            : undefined;
      return err && !o.msg.includes(err) ? `${o.msg}: ${err}` : o.msg;
    }
  } catch {
    // not JSON: the line as printed
  }
  return line;
}

/**
 * Why a component stopped, in one line: the signal that killed it, or its exit code and its
 * last line of output (what it said on the way out; after a signal that line is no cause).
 */
export function exitCause(code: number | null, signal: NodeJS.Signals | null, output: string): string {
  if (signal) return `killed by ${signal}`;
  const how = `exited with code ${code}`;
  const last = outputTail(output, 1, 240)[0];
  return last ? `${how}: ${readable(last)}` : how;
}
