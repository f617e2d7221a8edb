/**
 * Depth caps. A target decides how deeply its JSON nests; a recursive walk over 2 000 levels overflows the stack,
 * and a report 1 500 levels deep is valid JSON that jq (256) and Python (about 1 000) refuse to read. Everything a
 * report copies from a target is cut at one depth, with a marker where the cut is.
 */

/** Levels of nesting a report keeps from untrusted data; deeper parts become {@link DEPTH_MARKER}. */
export const MAX_REPORT_DEPTH = 64;

/** What stands in for a part nested deeper than the cap. */
export const DEPTH_MARKER = `[golive: nested deeper than ${MAX_REPORT_DEPTH} levels, omitted]`;

type Container = Record<string, unknown> | unknown[];

/**
 * Copies a JSON-like value keeping at most `maxDepth` levels of nesting (the top-level object is level 1); an
 * object or array that would open a deeper level is replaced by `marker`. Iterative (an explicit stack), so no
 * input depth can overflow the call stack. `transformKey` and `transformString` let a caller redact in the same pass.
 */
export function capDepth<T>(
  value: T,
  options: { maxDepth?: number; marker?: string; transformString?: (s: string) => string; transformKey?: (k: string) => string } = {},
): T {
  const maxDepth = options.maxDepth ?? MAX_REPORT_DEPTH;
  const marker = options.marker ?? DEPTH_MARKER;
  const str = options.transformString ?? ((s: string) => s);
  const key = options.transformKey ?? ((k: string) => k);
  const copyLeaf = (v: unknown): unknown => (typeof v === 'string' ? str(v) : v);
  const isContainer = (v: unknown): v is Container => typeof v === 'object' && v !== null && !(v instanceof Date) && !ArrayBuffer.isView(v);
  if (!isContainer(value)) return copyLeaf(value) as T;
  if (maxDepth < 1) return marker as T;
  const root: Container = Array.isArray(value) ? [] : {};
  // Each entry: a source container, its copy, and the copy's depth.
  const stack: Array<{ src: Container; dst: Container; depth: number }> = [{ src: value, dst: root, depth: 0 }];
  while (stack.length > 0) {
    const { src, dst, depth } = stack.pop() as { src: Container; dst: Container; depth: number };
    const entries: Array<[string | number, unknown]> = Array.isArray(src) ? src.map((v, i) => [i, v]) : Object.entries(src);
    for (const [k, v] of entries) {
      let out: unknown;
      if (isContainer(v)) {
        // Containers at depth 0 … maxDepth-1 are kept: at most `maxDepth` levels of nesting, as jq counts them.
        if (depth + 1 >= maxDepth) out = marker;
        else {
          const copy: Container = Array.isArray(v) ? [] : {};
          stack.push({ src: v, dst: copy, depth: depth + 1 });
          out = copy;
        }
      } else out = copyLeaf(v);
      if (Array.isArray(dst)) dst.push(out);
      else dst[key(String(k))] = out;
    }
  }
  return root as T;
}

/** Levels of nesting of a JSON-like value, as jq counts them (a scalar 0, `[]` 1, `[[1]]` 2). Iterative. */
export function maxDepthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}
