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
 * Copies a JSON-like value, replacing every object or array that starts deeper than `maxDepth` levels with
 * `marker`. Iterative (an explicit stack), so no input depth can overflow the call stack. The top-level value is
 * depth 0; its members are depth 1. `transformKey` and `transformString` let a caller redact in the same pass.
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
  if (maxDepth < 0) return marker as T;
  const root: Container = Array.isArray(value) ? [] : {};
  // Each entry: a source container, its copy, and the copy's depth.
  const stack: Array<{ src: Container; dst: Container; depth: number }> = [{ src: value, dst: root, depth: 0 }];
  while (stack.length > 0) {
    const { src, dst, depth } = stack.pop() as { src: Container; dst: Container; depth: number };
    const entries: Array<[string | number, unknown]> = Array.isArray(src) ? src.map((v, i) => [i, v]) : Object.entries(src);
    for (const [k, v] of entries) {
      let out: unknown;
      if (isContainer(v)) {
        if (depth + 1 > maxDepth) out = marker;
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

/** Depth of the deepest container in a JSON-like value (0 for a scalar or an empty container's contents). Iterative. */
export function maxDepthOf(value: unknown): number {
  let max = 0;
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [v, d] = stack.pop() as [unknown, number];
    if (typeof v !== 'object' || v === null) continue;
    if (d > max) max = d;
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, d + 1]);
  }
  return max;
}
