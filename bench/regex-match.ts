/**
 * Cost of golive's linear-time pattern matching (core/regex.ts, RE2JS) against the V8 engine it replaces, on
 * the bodies checks see: small health bodies (a canary or a many-check run matches often), a 64 KiB page, and
 * the worst case of a catastrophic pattern on 50 000 characters and on 1 MiB (golive's default body cap), which
 * V8 does not finish at all. Prints per-match times and ratios measured in this invocation.
 */
import { compilePattern } from '../packages/golive/src/core/regex.ts';

function perMatchUs(fn: () => unknown, minMs = 300): number {
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
  }
  return ((performance.now() - t0) * 1000) / n;
}

const small = '{"status":"ok","version":"1.4.2","checks":{"db":{"status":"pass"},"cache":{"status":"pass"}}}';
const page = `<!doctype html><title>x</title>${'<p>lorem ipsum dolor sit amet</p>'.repeat(2000)}<footer>build 1.4.2</footer>`;
const cases: Array<[string, string, string]> = [
  ['small JSON body, simple pattern', '"status"\\s*:\\s*"ok"', small],
  ['small JSON body, alternation', '"status":"(ok|pass|healthy)"', small],
  ['64 KiB page, match at the end', 'build \\d+\\.\\d+\\.\\d+', page],
];
console.log('case                                   golive (RE2JS)   V8 RegExp   ratio');
for (const [label, source, text] of cases) {
  const safe = compilePattern(source);
  const native = new RegExp(source);
  const a = perMatchUs(() => safe.test(text));
  const b = perMatchUs(() => native.test(text));
  console.log(`${label.padEnd(38)} ${a.toFixed(2).padStart(10)} µs ${b.toFixed(2).padStart(9)} µs ${(a / b).toFixed(1).padStart(6)}x`);
}
const compileUs = perMatchUs(() => compilePattern(`x${Math.random()}`), 200);
console.log(`compile a new pattern (cached afterwards): ${compileUs.toFixed(1)} µs`);
for (const size of [50_000, 1024 * 1024]) {
  const text = `${'a'.repeat(size)}!`;
  const p = compilePattern('(a+)+$');
  const t0 = performance.now();
  p.test(text);
  console.log(`(a+)+$ on ${size} characters: ${(performance.now() - t0).toFixed(1)} ms (V8: does not finish)`);
}
