import { adjectives } from '../../legacy-monolith/seed/catalog-words.ts';
import type { SeededRandom } from '../../legacy-monolith/seed/random.ts';
import type { ShopClient } from './shop-client.ts';
import type { ShopFacts } from './shop-facts.ts';

/** One virtual user's visit; the identity headers make proxy rollouts sticky per user. */
export interface SessionContext {
  client: ShopClient;
  rng: SeededRandom;
  facts: ShopFacts;
  sessionId: string;
}

const sorts = ['id', '-id', 'name', '-name', 'price', '-price', 'createdAt', '-createdAt'];
type Product = { id: number; price: string; stock: number };
type Page = { items?: Product[] };

function identity(ctx: SessionContext, userId?: number): Record<string, string> {
  const headers: Record<string, string> = { cookie: `sid=${ctx.sessionId}` };
  if (userId !== undefined) headers['x-user-id'] = String(userId);
  return headers;
}

/** A product list page as a shopper asks for it: a category, a price band, a sort, a page. */
function listQuery(rng: SeededRandom, facts: ShopFacts): string {
  const q = new URLSearchParams();
  if (rng.chance(0.6)) q.set('category', rng.pick(facts.categories));
  if (rng.chance(0.3)) q.set('minPrice', String(rng.int(1, 50)));
  if (rng.chance(0.3)) q.set('maxPrice', String(rng.int(60, 500)));
  if (rng.chance(0.7)) q.set('sort', rng.pick(sorts));
  q.set(
    'page',
    String(
      rng.weighted([
        [1, 6],
        [2, 2],
        [3, 1],
      ] as const),
    ),
  );
  q.set('pageSize', String(rng.pick([10, 20, 50])));
  return `/products?${q}`;
}

function productIds(reply: { body: unknown }): number[] {
  const items = (reply.body as Page | undefined)?.items;
  return Array.isArray(items) ? items.map((p) => p.id) : [];
}

/** Lists products with filters and opens a few of them. */
async function browse(ctx: SessionContext, userId?: number): Promise<number[]> {
  const { client, rng, facts } = ctx;
  const seen: number[] = [];
  for (let page = rng.int(1, 3); page > 0; page--) {
    const list = await client.call('products.list', 'GET', listQuery(rng, facts), identity(ctx, userId));
    const ids = productIds(list);
    for (let n = rng.int(1, 3); n > 0 && ids.length > 0; n--) {
      const id = rng.pick(ids);
      const detail = await client.call('products.get', 'GET', `/products/${id}`, identity(ctx, userId));
      if (detail.status === 200 && ((detail.body as Product).stock ?? 0) > 0) seen.push(id);
    }
  }
  // Someone pasting an old link: ids past the end answer 404, as on a real shop.
  if (rng.chance(0.05))
    await client.call(
      'products.get',
      'GET',
      `/products/${facts.maxProductId + rng.int(1, 1000)}`,
      identity(ctx, userId),
    );
  return seen;
}

async function search(ctx: SessionContext): Promise<void> {
  const { client, rng } = ctx;
  const term = rng.pick(adjectives);
  const q = new URLSearchParams({ q: term, pageSize: '20' });
  if (rng.chance(0.5)) q.set('sort', rng.pick(sorts));
  const list = await client.call('products.search', 'GET', `/products?${q}`, identity(ctx));
  const ids = productIds(list);
  if (ids.length > 0) await client.call('products.get', 'GET', `/products/${rng.pick(ids)}`, identity(ctx));
}

/** Signs up, browses, orders, pays (mostly), sometimes cancels, then looks at the order history. */
async function buy(ctx: SessionContext): Promise<void> {
  const { client, rng } = ctx;
  const email = `load-${ctx.sessionId}@example.com`;
  const user = await client.call('users.create', 'POST', '/users', identity(ctx), {
    email,
    name: `Load Shopper ${ctx.sessionId}`,
  });
  const userId = (user.body as { id?: number } | undefined)?.id;
  if (user.status !== 201 || typeof userId !== 'number') return;
  const candidates = await browse(ctx, userId);
  if (candidates.length === 0) return;
  const items = [...new Set(candidates)]
    .slice(0, rng.int(1, 3))
    .map((productId) => ({ productId, quantity: rng.int(1, 2) }));
  const order = await client.call('orders.create', 'POST', '/orders', identity(ctx, userId), {
    userId,
    items,
  });
  const orderId = (order.body as { id?: number } | undefined)?.id;
  if (order.status !== 201 || typeof orderId !== 'number') return;
  if (rng.chance(0.85)) {
    await client.call('orders.pay', 'POST', `/orders/${orderId}/pay`, identity(ctx, userId), {
      method: rng.weighted([
        ['card', 6],
        ['paypal', 3],
        ['bank_transfer', 1],
      ] as const),
    });
  }
  if (rng.chance(0.1))
    await client.call('orders.cancel', 'POST', `/orders/${orderId}/cancel`, identity(ctx, userId));
  await client.call('orders.get', 'GET', `/orders/${orderId}`, identity(ctx, userId));
  await client.call('users.orders', 'GET', `/users/${userId}/orders`, identity(ctx, userId));
}

/** A returning customer checks their history and opens an order. */
async function history(ctx: SessionContext): Promise<void> {
  const { client, rng, facts } = ctx;
  if (facts.maxUserId === 0) return browse(ctx).then(() => undefined);
  const userId = rng.int(1, facts.maxUserId);
  const page = await client.call(
    'users.orders',
    'GET',
    `/users/${userId}/orders?pageSize=${rng.pick([5, 10, 20])}`,
    identity(ctx, userId),
  );
  const orders = (page.body as { items?: { id: number }[] } | undefined)?.items ?? [];
  if (orders.length > 0)
    await client.call('orders.get', 'GET', `/orders/${rng.pick(orders).id}`, identity(ctx, userId));
}

export const sessionKinds = { browse, search, buy, history } as const;
export type SessionKind = keyof typeof sessionKinds;

/** The default traffic mix: mostly browsing, as on a real shop; weights are relative. */
export const defaultMix: Record<SessionKind, number> = { browse: 45, search: 20, buy: 20, history: 15 };

export async function runSession(kind: SessionKind, ctx: SessionContext): Promise<void> {
  await sessionKinds[kind](ctx);
}
