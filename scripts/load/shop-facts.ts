import { ToolkitError } from '../../lib/errors.ts';
import { fetchText } from '../cli/fetch-text.ts';

/** What the virtual users need to know about the shop before they start. */
export interface ShopFacts {
  maxProductId: number;
  /** Highest existing user id (found by probing), for returning customers. */
  maxUserId: number;
  categories: string[];
}

export class LoadError extends ToolkitError {}

async function getJson(
  baseUrl: string,
  path: string,
): Promise<{ status: number; body: { items?: { id: number; category: string }[] } | undefined }> {
  let res: { status: number; text: string };
  try {
    res = await fetchText(new URL(path, baseUrl).toString());
  } catch (err) {
    throw new LoadError(
      'LOAD_ERR_TARGET_UNREACHABLE',
      `cannot reach ${baseUrl}: ${(err as Error).message}; is the shop (npm start) running?`,
      {
        retriable: true,
        cause: err,
      },
    );
  }
  const text = res.text;
  try {
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  } catch {
    throw new LoadError(
      'LOAD_ERR_NOT_THE_SHOP',
      `${baseUrl}${path} did not answer JSON (status ${res.status}); is --target the shop or the proxy?`,
    );
  }
}

/**
 * Reads the catalog size and categories from the product list and finds the highest user id
 * by exponential then binary search over GET /users/:id (the shop has no user listing);
 * about 2·log2(users) requests, made before the measured run starts.
 */
export async function discoverShop(baseUrl: string): Promise<ShopFacts> {
  const newest = await getJson(baseUrl, '/products?sort=-id&pageSize=100');
  if (newest.status !== 200 || !Array.isArray(newest.body?.items)) {
    throw new LoadError(
      'LOAD_ERR_NOT_THE_SHOP',
      `GET /products on ${baseUrl} answered ${newest.status}; expected the shop's product list`,
    );
  }
  const items = newest.body.items as { id: number; category: string }[];
  if (items.length === 0) {
    throw new LoadError(
      'LOAD_ERR_EMPTY_SHOP',
      `the shop at ${baseUrl} has no products; seed it first (npm run seed)`,
    );
  }
  const categories = [...new Set(items.map((p) => p.category))].sort();
  const exists = async (id: number) => (await getJson(baseUrl, `/users/${id}`)).status === 200;
  let high = 1;
  if (!(await exists(1))) return { maxProductId: items[0]!.id, maxUserId: 0, categories };
  while (await exists(high * 2)) high *= 2;
  let low = high;
  high = high * 2;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (await exists(mid)) low = mid;
    else high = mid;
  }
  return { maxProductId: items[0]!.id, maxUserId: low, categories };
}
