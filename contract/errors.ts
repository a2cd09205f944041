import { ToolkitError } from '../lib/errors.ts';

/**
 * Every error the shop's API reports, with the HTTP status it maps to — whichever side answers:
 * a client sees the same code from the monolith and from an extracted service. Codes are stable:
 * a retired code is never reused (docs/shop.md lists them). SHOP_ERR_SEED_NOT_EMPTY is the
 * monolith's seed, not an answer; it stays here so one catalog keeps the SHOP_ERR_ codes unique.
 */
export const shopErrorCodes = {
  SHOP_ERR_BAD_REQUEST: 400,
  SHOP_ERR_MALFORMED_JSON: 400,
  SHOP_ERR_INVALID_ID: 400,
  SHOP_ERR_INVALID_BODY: 400,
  SHOP_ERR_INVALID_QUERY: 400,
  SHOP_ERR_ORDER_TOO_LARGE: 400,
  SHOP_ERR_ROUTE_NOT_FOUND: 404,
  SHOP_ERR_PRODUCT_NOT_FOUND: 404,
  SHOP_ERR_USER_NOT_FOUND: 404,
  SHOP_ERR_ORDER_NOT_FOUND: 404,
  SHOP_ERR_SKU_TAKEN: 409,
  SHOP_ERR_EMAIL_TAKEN: 409,
  SHOP_ERR_INSUFFICIENT_STOCK: 409,
  SHOP_ERR_ORDER_STATE: 409,
  SHOP_ERR_BODY_TOO_LARGE: 413,
  SHOP_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  SHOP_ERR_DATABASE_UNAVAILABLE: 503,
  SHOP_ERR_BUSY: 503,
  SHOP_ERR_SEED_NOT_EMPTY: 409,
  SHOP_ERR_INTERNAL: 500,
} as const;

export type ShopErrorCode = keyof typeof shopErrorCodes;

/** The JSON body of every error answer. */
export interface ErrorBody {
  error: { code: string; message: string };
}

export const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } });

export class ShopError extends ToolkitError {
  declare readonly code: ShopErrorCode;
  constructor(
    code: ShopErrorCode,
    message: string,
    options: { retriable?: boolean; cause?: unknown; context?: Record<string, unknown> } = {},
  ) {
    super(code, message, options);
  }

  get status(): number {
    return shopErrorCodes[this.code];
  }
}

export const notFound = (what: 'product' | 'user' | 'order', id: number): ShopError => {
  const code = `SHOP_ERR_${what.toUpperCase()}_NOT_FOUND` as ShopErrorCode;
  return new ShopError(code, `${what} ${id} does not exist`, { context: { id } });
};
