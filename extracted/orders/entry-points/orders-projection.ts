import {
  type ChangeEvent,
  eventPosition,
  hint,
  type Projection,
  poisonEvent,
  type Row,
  type SourceTable,
} from '../../../cdc/consumer/index.ts';
import { type ServiceConfig, topicFor } from '../../service-kit/service-config.ts';
import { sqlTime } from '../../service-kit/store.ts';
import { type ReadTable, saveRows } from '../data-access/order-store.ts';

/** Column types of the shop tables, for connectors that send no schemas. */
const columnHints = {
  orders: { total: hint.decimal(2), created_at: hint.timestamp(), updated_at: hint.zonedTimestamp() },
  order_items: { unit_price: hint.decimal(2) },
  payments: { amount: hint.decimal(2), created_at: hint.timestamp() },
  users: { created_at: hint.timestamp() },
  products: { price: hint.decimal(2), created_at: hint.timestamp(), updated_at: hint.zonedTimestamp() },
};

function id(row: Row, column: string, event: ChangeEvent): number {
  const value = Number(row[column]);
  if (!Number.isSafeInteger(value) || value < 0)
    throw poisonEvent(`${event.table} event at ${event.topic}@${event.offset} has no valid ${column}`);
  return value;
}

const required = <T extends 'integer' | 'decimal' | 'string'>(type: T) => ({ type, nullable: false });

/**
 * source table → read table, the columns it keeps, and what the runner checks before the
 * handler sees an event (key columns, and the types of the columns the mapper reads).
 */
const mappers: Record<
  string,
  { table: ReadTable; source: Pick<SourceTable, 'key' | 'columns'>; map(row: Row, e: ChangeEvent): Row }
> = {
  orders: {
    table: 'ord_orders',
    source: {
      key: ['id'],
      columns: {
        id: 'integer',
        user_id: required('integer'),
        status: required('string'),
        total: required('decimal'),
        currency: required('string'),
        created_at: 'time',
        updated_at: 'time',
      },
    },
    map: (r, e) => ({
      id: id(r, 'id', e),
      user_id: id(r, 'user_id', e),
      status: r.status,
      total: r.total,
      currency: r.currency,
      created_at: sqlTime(r.created_at),
      updated_at: sqlTime(r.updated_at),
    }),
  },
  order_items: {
    table: 'ord_items',
    source: {
      key: ['order_id', 'line_no'],
      columns: {
        order_id: 'integer',
        line_no: 'integer',
        product_id: required('integer'),
        quantity: required('integer'),
        unit_price: required('decimal'),
      },
    },
    map: (r, e) => ({
      order_id: id(r, 'order_id', e),
      line_no: id(r, 'line_no', e),
      product_id: id(r, 'product_id', e),
      quantity: r.quantity,
      unit_price: r.unit_price,
    }),
  },
  payments: {
    table: 'ord_payments',
    source: {
      key: ['id'],
      columns: {
        id: 'integer',
        order_id: required('integer'),
        amount: required('decimal'),
        method: required('string'),
        status: required('string'),
        created_at: 'time',
      },
    },
    map: (r, e) => ({
      id: id(r, 'id', e),
      order_id: id(r, 'order_id', e),
      amount: r.amount,
      method: r.method,
      status: r.status,
      created_at: sqlTime(r.created_at),
    }),
  },
  products: {
    table: 'ord_products',
    source: { key: ['id'], columns: { id: 'integer', name: required('string') } },
    map: (r, e) => ({ id: id(r, 'id', e), name: r.name }),
  },
  users: {
    table: 'ord_users',
    source: { key: ['id'], columns: { id: 'integer' } },
    map: (r, e) => ({ id: id(r, 'id', e) }),
  },
};

/**
 * orders + order_items + payments, and product names and user ids from their own topics: the
 * service never calls the catalog or the monolith. One multi-row upsert per table and batch.
 */
export function ordersProjection(config: ServiceConfig): Projection {
  const tableByTopic = new Map(Object.keys(mappers).map((t) => [topicFor(config, t), t]));
  return {
    name: 'orders',
    topics: [...tableByTopic.keys()],
    sources: Object.fromEntries(
      [...tableByTopic].map(([topic, table]) => [
        topic,
        { db: config.sourceDatabase, table, ...mappers[table]!.source },
      ]),
    ),
    decode: { columnHints },
    async handleBatch(events, trx) {
      const rows = new Map<ReadTable, Row[]>();
      for (const event of events) {
        const source = tableByTopic.get(event.topic);
        if (!source || event.op === 't') continue;
        const mapper = mappers[source]!;
        const image = (event.after ?? event.before)!;
        const row = {
          ...mapper.map(image, event),
          deleted: event.op === 'd' ? 1 : 0,
          src_pos: eventPosition(event),
        };
        rows.set(mapper.table, [...(rows.get(mapper.table) ?? []), row]);
      }
      for (const [table, list] of rows) await saveRows(trx, table, list);
    },
  };
}
