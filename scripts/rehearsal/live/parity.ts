import { isDeepStrictEqual } from 'node:util';
import { fetchText } from '../../cli/fetch-text.ts';
import { LatencySamples, roundMs } from '../../load/latency.ts';
import type { ParityFigures } from '../figures.ts';

interface Answer {
  status: number;
  body: unknown;
  ms: number;
}

async function get(base: string, target: string): Promise<Answer> {
  const started = performance.now();
  try {
    const res = await fetchText(`${base}${target}`);
    const text = res.text;
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // not JSON: compare the text
    }
    return { status: res.status, body, ms: performance.now() - started };
  } catch {
    return { status: 0, body: undefined, ms: performance.now() - started };
  }
}

/**
 * Stage 1: with the flag off the proxy must be invisible. Each target is asked through the
 * proxy and straight from legacy, one after the other; status and parsed body must be equal.
 * No noise rules here: the same legacy answers both, so any difference is the proxy's.
 */
export async function measureParity(
  proxy: string,
  legacy: string,
  targets: string[],
): Promise<ParityFigures> {
  const viaProxy = new LatencySamples();
  const direct = new LatencySamples();
  let mismatches = 0;
  let errors = 0;
  const examples: string[] = [];
  for (const target of targets) {
    const a = await get(proxy, target);
    const b = await get(legacy, target);
    viaProxy.add(a.ms);
    direct.add(b.ms);
    if (a.status === 0 || a.status >= 500) errors++;
    if (a.status !== b.status || !isDeepStrictEqual(a.body, b.body)) {
      mismatches++;
      if (examples.length < 5)
        examples.push(
          `GET ${target}: proxy ${a.status}, legacy ${b.status}${a.status === b.status ? ' (bodies differ)' : ''}`,
        );
    }
  }
  return {
    requests: targets.length,
    mismatches,
    errors,
    p99Proxy: roundMs(viaProxy.percentile(99)),
    p99Direct: roundMs(direct.percentile(99)),
    examples,
  };
}
