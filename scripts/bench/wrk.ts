import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** One wrk run's figures, read from its `--latency` text. */
export interface WrkResult {
  rps: number;
  requests: number;
  p50ms: number;
  p99ms: number;
  /** Non-2xx/3xx answers plus socket errors. */
  errors: number;
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(value.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === 'us' ? n / 1000 : m[2] === 's' ? n * 1000 : n;
}

/** wrk -t1 -c<connections> -d<seconds>s --latency with a Lua script (the benches' load). */
export async function wrk(
  url: string,
  script: string,
  durationS: number,
  connections = 32,
): Promise<WrkResult> {
  const { stdout } = await run(
    'wrk',
    ['-t1', `-c${connections}`, `-d${durationS}s`, '--latency', '-s', script, url],
    {
      maxBuffer: 1 << 20,
    },
  );
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(stdout)?.[1]);
  const p50 = /^\s+50%\s+(\S+)/m.exec(stdout)?.[1] ?? '';
  const p99 = /^\s+99%\s+(\S+)/m.exec(stdout)?.[1] ?? '';
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(stdout)?.[1] ?? 0);
  const sockErr = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(stdout);
  const errors = non2xx + (sockErr ? sockErr.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  const requests = Number(/(\d+) requests in/.exec(stdout)?.[1]);
  return { rps, requests, p50ms: toMs(p50), p99ms: toMs(p99), errors };
}
