/**
 * Compiles a route path pattern to one anchored RegExp, once per table load, so matching on
 * the hot path is a single `test` per pattern. The path it runs on is already normalised
 * (see path-normalise.ts), so `.`/`..` segments and encoded slashes cannot appear.
 */
export function compilePattern(pattern: string): RegExp {
  if (pattern === '/') return /^\/$/;
  let source = '^';
  const segments = pattern.split('/').slice(1);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i]!;
    if (segment === '*' && i === segments.length - 1) {
      // the prefix itself, or anything below it
      return new RegExp(`${source}(?:/.*)?$`);
    }
    source += segment.startsWith(':') ? '/[^/]+' : `/${escapeRegExp(segment)}`;
  }
  return new RegExp(`${source}/?$`);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
