/**
 * The shop's contract: what the monolith and the extracted services must agree on to answer
 * alike (request schemas and their parsing, the error body and handler, money and time
 * formats, the Product and Order answers, the write transaction with its deadlock retry, the
 * SQL route tags), the source-position headers the services write and the comparison engine
 * reads, and the dry-run mark the proxy puts on a shadowed write. It depends on `lib/` and
 * libraries only, never on either side.
 */
export { isoTime } from './dates.ts';
export { dryRunHeader, dryRunValue, isDryRunRequest } from './dry-run.ts';
export { errorHandler, routeNotFound } from './error-handler.ts';
export {
  type ErrorBody,
  errorBody,
  notFound,
  ShopError,
  type ShopErrorCode,
  shopErrorCodes,
} from './errors.ts';
export { formatCents, formatMoney, maxPriceCents, maxTotalCents, parseCents } from './money.ts';
export { isMysqlError, mysqlErrors } from './mysql-errors.ts';
export {
  type Order,
  type OrderItem,
  type OrderStatus,
  type Payment,
  type PaymentMethod,
  shapeOrders,
  userOrdersQuery,
} from './orders.ts';
export {
  maxStock,
  type NewProduct,
  newProductBody,
  type Product,
  type ProductChanges,
  type ProductQuery,
  type ProductSort,
  parseNewProduct,
  parseProductChanges,
  parseProductListQuery,
  productChangesBody,
  productListQuery,
  productSorts,
  skuTakenError,
  toProduct,
} from './products.ts';
export {
  describeIssues,
  maxBodyDepth,
  moneyField,
  pageQuery,
  parseBody,
  parseId,
  parseQuery,
  queryInt,
  queryMoney,
  textField,
} from './requests.ts';
export {
  compareSourcePositions,
  formatSourcePosition,
  noSourcePosition,
  type ParsedSourcePosition,
  parseSourcePosition,
  sourcePositionHeader,
  sourcePositionHeaders,
  sourceTsHeader,
} from './source-position.ts';
export {
  continueTraceparent,
  formatOriginTag,
  formatSqlTag,
  isTraceparent,
  parseOriginTag,
  parseSqlTag,
  type SqlTag,
  type SyncOrigin,
  syncOrigins,
} from './sql-tag.ts';
export { sqlTagScope, tagQueries } from './sql-tagging.ts';
export { withDeadlockRetry, writeAttempts, writeTransaction } from './write-transaction.ts';
