import { AsyncLocalStorage } from 'node:async_hooks';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Knex } from 'knex';
import { continueTraceparent, formatSqlTag } from './sql-tag.ts';

/**
 * Tags every statement a request sends with its route and traceparent (contract/sql-tag.ts),
 * so the binlog says which route wrote each row (the writer map, docs/writer-map.md).
 *
 * The request travels with its queries in an AsyncLocalStorage; knex's documented `start`
 * event, fired for every query builder right before it is compiled (transactions included: a
 * transaction's client relays it), adds the comment with the builder's own `.comment()`. The
 * route is read when the query starts, not when the request arrives: Express knows the route
 * pattern only once it matched one.
 *
 * Raw statements (`knex.raw`) have no `.comment()` and go untagged; the shop writes only
 * through query builders (a raw fragment inside a builder, `stock - ?`, is part of its statement).
 */
interface RequestTag {
  req: Request;
  traceparent: string;
}

const current = new AsyncLocalStorage<RequestTag>();

/**
 * Middleware: the request's traceparent (the caller's trace continued, or a new one) and its tag
 * scope. Nothing is added to the answer: legacy and the new services must answer alike.
 */
export function sqlTagScope(): RequestHandler {
  return (req: Request, _res: Response, next: NextFunction) => {
    const traceparent = continueTraceparent(req.get('traceparent'));
    current.run({ req, traceparent }, next);
  };
}

/** `POST /products/:id`: the method and the pattern of the route that matched (full path). */
function routeOf(req: Request): string {
  const pattern = req.route?.path;
  return typeof pattern === 'string' ? `${req.method} ${req.baseUrl}${pattern}` : `${req.method} (no route)`;
}

interface Commentable {
  comment?: (text: string) => unknown;
}

const listening = new WeakSet<Knex>();

/** Registers the `start` listener on `knex` once; statements outside a request stay untagged. */
export function tagQueries(knex: Knex): void {
  if (listening.has(knex)) return;
  listening.add(knex);
  const tagged = new WeakSet<object>();
  knex.on('start', (builder: Commentable) => {
    const scope = current.getStore();
    // A builder run twice (awaited again) keeps its first tag rather than gaining a second.
    if (!scope || typeof builder.comment !== 'function' || tagged.has(builder)) return;
    tagged.add(builder);
    builder.comment(formatSqlTag({ route: routeOf(scope.req), traceparent: scope.traceparent }));
  });
}
