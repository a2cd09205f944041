import { Pool } from 'undici';
import { SeededRandom } from '../../legacy-monolith/seed/random.ts';
import { LatencySamples } from '../load/latency.ts';
import { RatePacer } from '../load/pacer.ts';

/** The write kinds the load sends through the shop's HTTP API. */
export const writeKinds = ['order', 'restock', 'edit', 'pay', 'cancel'] as const;
export type WriteKind = (typeof writeKinds)[number];

/** Share of each kind: orders change both services' stores, restocks and edits the catalog's. */
const mix: [WriteKind, number][] = [
  ['order', 45],
  ['restock', 20],
  ['edit', 20],
  ['pay', 10],
  ['cancel', 5],
];

export interface AcknowledgedOrder {
  lines: number;
  quantity: number;
}

/** What the load sent and what the shop acknowledged (a 2xx answer), per kind. */
export interface WriteLedger {
  sent: Record<WriteKind, number>;
  acknowledged: Record<WriteKind, number>;
  /** Answered 4xx: refused by a business rule (no stock, order already paid), nothing written. */
  refused: Record<WriteKind, number>;
  /** Answered 5xx or no answer (the monolith killed mid-request, a deadlock): unknown outcome. */
  failed: Record<WriteKind, number>;
  /** Every order the shop acknowledged, with the lines and units it was sent. */
  orders: Map<number, AcknowledgedOrder>;
  elapsedMs: number;
  /** Answer time of every write (ms), acknowledged or not. */
  latency: LatencySamples;
}

export interface WriteLoadOptions {
  /** The shop's base URL (127.0.0.1 only). */
  target: string;
  durationMs: number;
  rate: number;
  concurrency: number;
  seed: number;
  maxProductId: number;
  maxUserId: number;
  signal?: AbortSignal;
}

const zero = () => Object.fromEntries(writeKinds.map((k) => [k, 0])) as Record<WriteKind, number>;

/**
 * Bounded write load: at most `rate` writes a second for `durationMs`, never more than
 * rate × duration writes in all, only to 127.0.0.1. What to write is drawn from a generator
 * seeded with `seed`; which answers come back depends on timing and on the kills.
 */
export async function runWriteLoad(o: WriteLoadOptions): Promise<WriteLedger> {
  const url = new URL(o.target);
  if (url.hostname !== '127.0.0.1')
    throw new Error(`the chaos load writes to 127.0.0.1 only, not ${url.hostname}`);
  const ledger: WriteLedger = {
    sent: zero(),
    acknowledged: zero(),
    refused: zero(),
    failed: zero(),
    orders: new Map(),
    elapsedMs: 0,
    latency: new LatencySamples(),
  };
  const pool = new Pool(o.target, {
    connections: o.concurrency,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
  });
  const pacer = new RatePacer(o.rate);
  const rng = SeededRandom.stream(o.seed, 7);
  const cap = Math.floor((o.rate * o.durationMs) / 1000);
  const started = performance.now();
  const deadline = started + o.durationMs;
  const pending: number[] = [];
  let count = 0;

  const send = async (method: 'POST' | 'PUT' | 'PATCH', path: string, body: unknown) => {
    const t0 = performance.now();
    try {
      const res = await pool.request({
        method,
        path,
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.body.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: res.statusCode, body: parsed as { id?: number } | undefined };
    } catch {
      return { status: 0, body: undefined };
    } finally {
      ledger.latency.add(performance.now() - t0);
    }
  };

  const one = async (kind: WriteKind, n: number) => {
    let reply: { status: number; body: { id?: number } | undefined };
    let order: AcknowledgedOrder | undefined;
    if (kind === 'order' || ((kind === 'pay' || kind === 'cancel') && pending.length === 0)) {
      kind = 'order';
      const lines = rng.int(1, 3);
      const products = new Set<number>();
      while (products.size < lines) products.add(rng.int(1, o.maxProductId));
      const items = [...products].map((productId) => ({ productId, quantity: rng.int(1, 3) }));
      order = { lines, quantity: items.reduce((s, i) => s + i.quantity, 0) };
      ledger.sent.order++;
      reply = await send('POST', '/orders', { userId: rng.int(1, o.maxUserId), items });
    } else if (kind === 'restock') {
      ledger.sent.restock++;
      reply = await send('PUT', `/products/${rng.int(1, o.maxProductId)}/stock`, { stock: rng.int(50, 500) });
    } else if (kind === 'edit') {
      ledger.sent.edit++;
      const id = rng.int(1, o.maxProductId);
      const body = rng.chance(0.5)
        ? { price: `${rng.int(1, 999)}.${String(rng.int(0, 99)).padStart(2, '0')}` }
        : { name: `Chaos edit ${o.seed}-${n}`, description: rng.chance(0.3) ? null : `edited by write ${n}` };
      reply = await send('PATCH', `/products/${id}`, body);
    } else {
      ledger.sent[kind]++;
      const id = pending[rng.int(0, pending.length - 1)]!;
      reply =
        kind === 'pay'
          ? await send('POST', `/orders/${id}/pay`, { method: rng.pick(['card', 'paypal', 'bank_transfer']) })
          : await send('POST', `/orders/${id}/cancel`, {});
    }
    if (reply.status >= 200 && reply.status < 300) {
      ledger.acknowledged[kind]++;
      if (order && typeof reply.body?.id === 'number') {
        ledger.orders.set(reply.body.id, order);
        pending.push(reply.body.id);
        if (pending.length > 2000) pending.shift();
      }
    } else if (reply.status >= 400 && reply.status < 500) ledger.refused[kind]++;
    else ledger.failed[kind]++;
  };

  const worker = async () => {
    for (;;) {
      await pacer.wait();
      if (performance.now() >= deadline || count >= cap || o.signal?.aborted) return;
      const n = count++;
      await one(rng.weighted(mix), n);
    }
  };
  try {
    await Promise.all(Array.from({ length: o.concurrency }, () => worker()));
  } finally {
    await pool.close();
  }
  ledger.elapsedMs = performance.now() - started;
  return ledger;
}
