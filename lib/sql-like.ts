/**
 * SQL LIKE for a literal substring: a search for "50%" or "a_b" matches those characters, never
 * a wildcard. The escape character and the clause that names it live together, so a query cannot
 * pair the escaped pattern with another ESCAPE (or none).
 */

/** "50%" → "%50!%%": the text's own `!`, `%` and `_` escaped with `!`, wrapped in `%`. */
export function likeContains(text: string): string {
  return `%${text.replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

/**
 * `column LIKE pattern ESCAPE '!'` as SQL and bindings for knex's `whereRaw`: rows whose
 * `column` contains `text` literally (under the column's collation).
 */
export function containsLiteral(column: string, text: string): [sql: string, bindings: string[]] {
  return ["?? LIKE ? ESCAPE '!'", [column, likeContains(text)]];
}
