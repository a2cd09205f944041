import { describe, expect, it } from 'vitest';
import {
  continueTraceparent,
  formatOriginTag,
  formatSqlTag,
  isTraceparent,
  parseOriginTag,
  parseSqlTag,
  syncOrigins,
} from './sql-tag.ts';

const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('the SQL tag (sqlcommenter)', () => {
  it('formats sorted, URL-encoded pairs and reads them back from a statement', () => {
    const text = formatSqlTag({ route: 'POST /products', traceparent: tp });
    expect(text).toBe(`route='POST%20%2Fproducts',traceparent='${tp}'`);
    expect(parseSqlTag(`/* ${text} */ insert into \`products\` (\`sku\`) values ('a')`)).toEqual({
      route: 'POST /products',
      traceparent: tp,
    });
  });

  it('encodes what would break the comment, a quote or a placeholder', () => {
    const text = formatSqlTag({ route: "GET /a/*/b?'x'", traceparent: tp });
    expect(text).not.toMatch(/\*|\?|'x/);
    expect(parseSqlTag(`update t set a = 1 /*${text}*/`)?.route).toBe("GET /a/*/b?'x'");
  });

  it('finds no tag in an untagged statement or a stranger comment', () => {
    expect(parseSqlTag('update inventory set stock = 3 where product_id = 1')).toBeUndefined();
    expect(parseSqlTag("/* just a note */ update t set a = 'route=x'")).toBeUndefined();
    expect(parseSqlTag("/* route='%E0%A4%A' */ update t set a = 1")).toBeUndefined();
    expect(parseSqlTag(`/* route='PUT%20%2Fx',traceparent='nonsense' */ delete from t`)).toEqual({
      route: 'PUT /x',
    });
  });

  it('continues a caller trace with a new span, or starts one', () => {
    const next = continueTraceparent(tp);
    expect(next).toMatch(/^00-4bf92f3577b34da6a3ce929d0e0e4736-[0-9a-f]{16}-01$/);
    expect(next).not.toBe(tp);
    for (const bad of [undefined, '', 'garbage', '00-00000000000000000000000000000000-00f067aa0ba902b7-01']) {
      const fresh = continueTraceparent(bad);
      expect(isTraceparent(fresh)).toBe(true);
      expect(fresh.slice(3, 35)).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    }
  });

  it('tags the statements of a sync path with their origin and reads it back, never as a route', () => {
    const text = formatOriginTag(syncOrigins.reverseSync);
    expect(text).toBe("strangler_origin='reverse-sync'");
    const sql = `/* ${text} */ insert into \`shop\`.\`products\` (\`id\`) values (1)`;
    expect(parseOriginTag(sql)).toBe('reverse-sync');
    expect(parseSqlTag(sql)).toBeUndefined();
    expect(
      parseOriginTag(
        `/* ${formatSqlTag({ route: 'POST /products', traceparent: tp })} */ update t set a = 1`,
      ),
    ).toBeUndefined();
    expect(parseOriginTag("update t set a = 'strangler_origin=x'")).toBeUndefined();
    expect(parseOriginTag("/* strangler_origin='%E0%A4%A' */ update t set a = 1")).toBeUndefined();
  });
});
