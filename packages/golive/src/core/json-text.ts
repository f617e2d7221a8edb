/**
 * Reading JSON a target sent. `JSON.parse` keeps the last of two equal keys, so `{"status":"fail","status":"ok"}`
 * reads as healthy while another parser (or a human) reads it as failing: a body with a duplicate key has no
 * single meaning and is reported as such. A UTF-8 byte order mark before the JSON is legal for many producers
 * (RFC 8259 §8.1 lets a parser ignore it) and is skipped.
 */

/** The text without a leading byte order mark. */
export function stripBom(text: string): string {
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}

/**
 * The first key that appears twice in one object of a JSON text, with the path of that object, or undefined.
 * The text must already have parsed as JSON. Iterative (a stack of open containers), so any depth is safe.
 */
export function findDuplicateKey(text: string): { key: string; path: string } | undefined {
  const stack: Array<{ keys: Set<string> | null; expectKey: boolean; name: string }> = [];
  let lastKey = '';
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < text.length) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) j += 2;
        else if (d === 0x22) break;
        else j++;
      }
      const top = stack[stack.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(text.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return { key, path: stack.map((s) => s.name).filter(Boolean).join('.') || '(root)' };
        top.keys.add(key);
        top.expectKey = false;
        lastKey = key;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const parent = stack[stack.length - 1];
      const name = parent === undefined ? '' : parent.keys ? lastKey : '[]';
      stack.push({ keys: c === 0x7b ? new Set() : null, expectKey: c === 0x7b, name });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) stack.pop();
    else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.keys) top.expectKey = true;
    }
    i++;
  }
  return undefined;
}
