import { matchesPath, type PathPattern, type PathSegment } from '../compare/json-path.ts';

/**
 * Every value of a parsed JSON document at a path the pattern matches, in document order
 * (the pattern syntax is the comparison rules', compare/json-path.ts). A part's answer is a
 * page-sized document, so walking all of it is cheap; a matched value is not walked further.
 */
export function selectValues(doc: unknown, pattern: PathPattern): unknown[] {
  const out: unknown[] = [];
  const path: PathSegment[] = [];
  const walk = (value: unknown): void => {
    if (matchesPath(pattern, path)) {
      out.push(value);
      return;
    }
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        walk(value[i]);
        path.pop();
      }
    } else if (value !== null && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) {
        path.push(key);
        walk(child);
        path.pop();
      }
    }
  };
  walk(doc);
  return out;
}
