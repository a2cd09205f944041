import { formatCents } from '../../contract/index.ts';
import { adjectives, categories, describe, firstNames, lastNames } from './catalog-words.ts';
import { SeededRandom } from './random.ts';

export interface SeedSize {
  products: number;
  users: number;
  orders: number;
  seed: number;
}

export const defaultSeedSize: SeedSize = { products: 10_000, users: 2_000, orders: 20_000, seed: 42 };

/** Rows keyed by table, in the column names of the schema; ids are explicit so runs repeat. */
export interface ShopRows {
  users: Record<string, unknown>[];
  products: Record<string, unknown>[];
  inventory: Record<string, unknown>[];
  orders: Record<string, unknown>[];
  order_items: Record<string, unknown>[];
  payments: Record<string, unknown>[];
}

// A fixed calendar (never "now"), so the same seed gives byte-identical rows on every run.
const day = 86_400_000;
const shopOpened = Date.UTC(2024, 0, 1);
const userSpan = 540 * day;
const orderStart = Date.UTC(2024, 0, 15);
const orderSpan = Date.UTC(2025, 11, 31) - orderStart;

const asciiFold: Record<string, string> = { ø: 'o', ł: 'l', ß: 'ss', æ: 'ae', ı: 'i', đ: 'd' };
function emailLocal(first: string, last: string): string {
  const fold = (s: string) =>
    s
      .toLowerCase()
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[øłßæıđ]/g, (c) => asciiFold[c] ?? '')
      .replace(/[^a-z]/g, '');
  return `${fold(first)}.${fold(last)}`;
}

/** A shop-like price: 12.99, 12.49 or 12.00 within the category's range. */
function priceCents(rng: SeededRandom, [min, max]: readonly [number, number]): number {
  const euros = Math.floor(rng.int(min, max) / 100);
  return euros * 100 + rng.pick([99, 99, 99, 49, 95, 0]);
}

/**
 * Generates a whole shop from a seed: pure, no database. Order history respects stock (no
 * product ever goes below zero), paid orders carry a captured payment equal to the total, and
 * some cancelled orders carry a refunded one.
 */
export function generateShop(size: SeedSize): ShopRows {
  // One stream per table: changing --users does not reshuffle the products, and so on.
  let rng = SeededRandom.stream(size.seed, 1);
  const rows: ShopRows = {
    users: [],
    products: [],
    inventory: [],
    orders: [],
    order_items: [],
    payments: [],
  };

  const userStep = userSpan / Math.max(size.users, 1);
  for (let id = 1; id <= size.users; id++) {
    const first = rng.pick(firstNames);
    const last = rng.pick(lastNames);
    const flourish = rng.chance(0.02) ? ` ${rng.pick(['🌸', '🚀', '☕', '🎉'])}` : '';
    rows.users.push({
      id,
      email: `${emailLocal(first, last)}.${id}@example.com`,
      name: `${first} ${last}${flourish}`,
      created_at: new Date(shopOpened + Math.floor((id - 1) * userStep + rng.next() * userStep)),
    });
  }

  rng = SeededRandom.stream(size.seed, 2);
  const prices: number[] = [0];
  const stock: number[] = [0];
  const stockTouched: number[] = [0];
  for (let id = 1; id <= size.products; id++) {
    const category = rng.pick(categories);
    const noun = rng.pick(category.nouns);
    const model = rng.pick(['', '', ' Mini', ' Max', ' 2', ' 3', ' Plus', ' XL', ' Lite']);
    const name = `${rng.pick(adjectives)} ${noun}${model}`;
    const price = priceCents(rng, category.price);
    const created = shopOpened - 180 * day + Math.floor(rng.next() * 360 * day);
    const updated = created + Math.floor(rng.next() * 90 * day);
    prices.push(price);
    stock.push(rng.chance(0.05) ? 0 : rng.int(5, 400));
    stockTouched.push(updated);
    rows.products.push({
      id,
      sku: `${category.code}-${String(id).padStart(6, '0')}`,
      name,
      description: describe(rng, noun),
      price: formatCents(price),
      category: category.slug,
      attributes: JSON.stringify(category.attributes(rng)),
      created_at: new Date(created),
      updated_at: new Date(updated),
    });
  }

  rng = SeededRandom.stream(size.seed, 3);
  const orderStep = orderSpan / Math.max(size.orders, 1);
  for (let id = 1; id <= size.orders && size.products > 0 && size.users > 0; id++) {
    const created = orderStart + Math.floor((id - 1) * orderStep + rng.next() * orderStep);
    const usersSoFar = Math.min(size.users, Math.max(1, Math.floor((created - shopOpened) / userStep)));
    const userId = rng.int(1, usersSoFar);
    // Recent orders are more often still pending.
    const recent = id > size.orders * 0.9;
    let status = rng.weighted<'paid' | 'pending' | 'cancelled'>([
      ['paid', recent ? 40 : 65],
      ['pending', recent ? 45 : 20],
      ['cancelled', 15],
    ]);
    const wanted = rng.weighted([
      [1, 45],
      [2, 25],
      [3, 15],
      [4, 10],
      [5, 5],
    ]);
    const lines: { productId: number; quantity: number; unitPrice: number }[] = [];
    for (let attempt = 0; lines.length < wanted && attempt < wanted * 4; attempt++) {
      const productId = rng.int(1, size.products);
      if (lines.some((l) => l.productId === productId)) continue;
      let quantity = rng.weighted([
        [1, 70],
        [2, 18],
        [3, 8],
        [5, 4],
      ]);
      if (status !== 'cancelled') {
        quantity = Math.min(quantity, stock[productId]!);
        if (quantity === 0) continue;
      }
      // A few lines were bought before the product's last price change.
      const unitPrice = rng.chance(0.1)
        ? Math.max(1, Math.round((prices[productId]! * rng.int(80, 110)) / 100))
        : prices[productId]!;
      lines.push({ productId, quantity, unitPrice });
    }
    if (lines.length === 0) {
      // Everything picked was sold out: the customer gave up, which a cancelled order records.
      status = 'cancelled';
      const productId = rng.int(1, size.products);
      lines.push({ productId, quantity: 1, unitPrice: prices[productId]! });
    }
    let total = 0;
    lines.forEach((line, index) => {
      total += line.quantity * line.unitPrice;
      if (status !== 'cancelled') {
        stock[line.productId]! -= line.quantity;
        stockTouched[line.productId] = Math.max(stockTouched[line.productId]!, created);
      }
      rows.order_items.push({
        order_id: id,
        line_no: index + 1,
        product_id: line.productId,
        quantity: line.quantity,
        unit_price: formatCents(line.unitPrice),
      });
    });
    let updated = created;
    const hadPayment = status === 'paid' || (status === 'cancelled' && rng.chance(0.4));
    if (hadPayment) {
      const paidAt = created + rng.int(5_000, 900_000);
      updated = status === 'paid' ? paidAt : paidAt + rng.int(1, 72) * 3_600_000;
      rows.payments.push({
        order_id: id,
        amount: formatCents(total),
        method: rng.weighted([
          ['card', 60],
          ['paypal', 30],
          ['bank_transfer', 10],
        ]),
        status: status === 'paid' ? 'captured' : 'refunded',
        created_at: new Date(paidAt),
      });
    } else if (status === 'cancelled') {
      updated = created + rng.int(1, 48) * 3_600_000;
    }
    rows.orders.push({
      id,
      user_id: userId,
      status,
      total: formatCents(total),
      currency: 'EUR',
      created_at: new Date(created),
      updated_at: new Date(updated),
    });
  }

  rows.payments.forEach((payment, index) => {
    payment.id = index + 1;
  });
  for (let id = 1; id <= size.products; id++) {
    rows.inventory.push({ product_id: id, stock: stock[id], updated_at: new Date(stockTouched[id]!) });
  }
  return rows;
}
