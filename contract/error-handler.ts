import type { ErrorRequestHandler, RequestHandler } from 'express';
import type { Logger } from '../lib/log.ts';
import { errorBody, ShopError, type ShopErrorCode } from './errors.ts';

interface HttpishError {
  type?: string;
  status?: number;
  statusCode?: number;
  expose?: boolean;
  message?: string;
  code?: string;
  name?: string;
}

/** body-parser's error types, mapped to our codes. */
const parserErrors: Record<string, { status: number; code: ShopErrorCode; message: string }> = {
  'entity.parse.failed': {
    status: 400,
    code: 'SHOP_ERR_MALFORMED_JSON',
    message: 'the request body is not valid JSON',
  },
  'entity.too.large': {
    status: 413,
    code: 'SHOP_ERR_BODY_TOO_LARGE',
    message: 'the request body is larger than 100 KiB',
  },
  'charset.unsupported': {
    status: 415,
    code: 'SHOP_ERR_UNSUPPORTED_MEDIA_TYPE',
    message: 'the request body must be UTF-8 JSON',
  },
  'encoding.unsupported': {
    status: 415,
    code: 'SHOP_ERR_UNSUPPORTED_MEDIA_TYPE',
    message: 'the request body uses an unsupported Content-Encoding',
  },
};

const unavailableCodes = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'PROTOCOL_CONNECTION_LOST',
  'ETIMEDOUT',
  'EPIPE',
]);

/**
 * Maps any error to the ErrorBody `{ error: { code, message } }`: input problems are 4xx; the
 * rest never leak details. The monolith and the services install the same handler, so their
 * error answers compare equal.
 */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) return next(err);
    const send = (status: number, code: string, message: string) =>
      res.status(status).json(errorBody(code, message));
    if (err instanceof ShopError) {
      if (err.status >= 500) log.warn({ err, path: req.path }, 'request failed');
      return send(err.status, err.code, err.message);
    }
    const e = (err ?? {}) as HttpishError;
    const parser = e.type ? parserErrors[e.type] : undefined;
    if (parser) {
      const detail = parser.code === 'SHOP_ERR_MALFORMED_JSON' && e.message ? `: ${e.message}` : '';
      return send(parser.status, parser.code, `${parser.message}${detail}`);
    }
    const status = e.status ?? e.statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      // Express/router client errors, e.g. a malformed percent-encoding in the path.
      return send(status, 'SHOP_ERR_BAD_REQUEST', e.message ? e.message.slice(0, 300) : 'bad request');
    }
    if ((e.code && unavailableCodes.has(e.code)) || e.name === 'KnexTimeoutError') {
      log.error({ err }, 'database unavailable');
      return send(503, 'SHOP_ERR_DATABASE_UNAVAILABLE', 'the shop database is unavailable; retry later');
    }
    log.error({ err, method: req.method, path: req.path }, 'unexpected error');
    return send(500, 'SHOP_ERR_INTERNAL', 'internal error; the monolith log has the details');
  };
}

export const routeNotFound: RequestHandler = (req, res) => {
  res
    .status(404)
    .json(errorBody('SHOP_ERR_ROUTE_NOT_FOUND', `no route ${req.method} ${req.path.slice(0, 200)}`));
};
