import type { Knex } from 'knex';
import {
  isMysqlError,
  isoTime,
  mysqlErrors,
  notFound,
  ShopError,
  writeTransaction,
} from '../../contract/index.ts';

export interface User {
  id: number;
  email: string;
  name: string;
  createdAt: string;
}

function toUser(row: Record<string, unknown>): User {
  return {
    id: Number(row.id),
    email: String(row.email),
    name: String(row.name),
    createdAt: isoTime(row.created_at),
  };
}

export async function getUser(db: Knex | Knex.Transaction, id: number): Promise<User> {
  const row = await db('users').where({ id }).first('id', 'email', 'name', 'created_at');
  if (!row) throw notFound('user', id);
  return toUser(row);
}

/** Emails are unique case-insensitively (the column's collation), so Ann@x and ann@x clash. */
export async function createUser(knex: Knex, input: { email: string; name: string }): Promise<User> {
  try {
    return await writeTransaction(knex, async (trx) => {
      const [id] = await trx('users').insert({
        email: input.email,
        name: input.name,
        created_at: trx.fn.now(3),
      });
      return getUser(trx, Number(id));
    });
  } catch (err) {
    if (isMysqlError(err, mysqlErrors.duplicateEntry)) {
      throw new ShopError(
        'SHOP_ERR_EMAIL_TAKEN',
        `email ${JSON.stringify(input.email)} is already registered`,
        {
          cause: err,
        },
      );
    }
    throw err;
  }
}
