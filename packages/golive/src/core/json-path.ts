/**
 * golive's one JSON path dialect, used by the `http` check's expectations and the `load` check's dedup
 * read-back: `status`, `data.items[0].id`, `meta["content-type"]`, `items.length`, with an optional leading
 * `$` or `$.`. Deliberately small and strict (validated when the config loads): no wildcards or filters,
 * because a path names one value. `.length` of an array is its length (a read-back may count the items of a
 * list); an object's own `length` key still wins, and a string has no `.length` (it is not a count).
 */

/** One step of a path: an object key or an array index. */
export type PathSegment = string | number;

/** Parses a path; throws a SyntaxError naming the position on bad input. */
export function parseJsonPath(path: string): PathSegment[] {
  let i = 0;
  const out: PathSegment[] = [];
  if (path.startsWith('$')) i = 1;
  const bad = (why: string): never => {
    throw new SyntaxError(`bad JSON path ${JSON.stringify(path)} at ${i}: ${why}`);
  };
  let first = true;
  while (i < path.length) {
    const c = path[i];
    if (c === '[') {
      const close = path.indexOf(']', i);
      if (close < 0) bad('missing ]');
      const inner = path.slice(i + 1, close).trim();
      if (/^\d+$/.test(inner)) out.push(Number(inner));
      else if (/^(["']).*\1$/.test(inner) && inner.length >= 2) out.push(inner.slice(1, -1));
      else bad('expected [index] or ["key"]');
      i = close + 1;
    } else {
      if (c === '.') i++;
      else if (!first) bad('expected . or [');
      let j = i;
      while (j < path.length && path[j] !== '.' && path[j] !== '[') {
        if (path[j] === ']') bad('unexpected ]');
        j++;
      }
      if (j === i) bad('empty key');
      out.push(path.slice(i, j));
      i = j;
    }
    first = false;
  }
  return out;
}

/** The value at a parsed path, or `found: false`. */
export function getJsonPath(value: unknown, segments: readonly PathSegment[]): { found: boolean; value: unknown } {
  let cur: unknown = value;
  for (const seg of segments) {
    if (typeof seg === 'number') {
      if (!Array.isArray(cur) || seg >= cur.length) return { found: false, value: undefined };
      cur = cur[seg];
    } else if (Array.isArray(cur)) {
      if (seg !== 'length') return { found: false, value: undefined };
      cur = cur.length;
    } else {
      if (cur === null || typeof cur !== 'object' || !Object.hasOwn(cur, seg)) return { found: false, value: undefined };
      cur = (cur as Record<string, unknown>)[seg];
    }
  }
  return { found: true, value: cur };
}

/** JSON type name of a value: `string`, `number`, `boolean`, `null`, `array`, `object`. */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}
