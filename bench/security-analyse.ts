// Benchmark: time to analyse one recorded response with analyzeHeaders (budget: ≤ 1 ms per response).
// Run: ./node_modules/.bin/node bench/security-analyse.ts   (SECURITY_BENCH_ITERATIONS=20000 to change the count)
// Reference in the same run: building a WHATWG Headers object from the same header map, the least any
// analysis must do, so the ratio shows the cost of the analysis itself on this machine.
import { analyzeHeaders } from '../packages/golive/src/analysers/analyze.ts';
import type { AnalyzeInput } from '../packages/golive/src/analysers/types.ts';
import { HELMET_DEFAULTS, WELL_KNOWN_SETS } from '../packages/golive/test/fixtures/well-known-header-sets.ts';

const ITERATIONS = Number(process.env.SECURITY_BENCH_ITERATIONS ?? 20_000);

// A realistic HTML page: ~60 KB with scripts, metas and comments.
const filler = '<p>Lorem ipsum dolor sit amet, consectetur adipiscing elit.</p>\n'.repeat(900);
const bigPage = `<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; img-src 'self' data:">
<script src="/app.js"></script><script src="https://cdn.example.com/lib.js" integrity="sha384-abc" crossorigin="anonymous"></script>
</head><body><!-- <script src="http://old.example/x.js"></script> -->${filler}</body></html>`;

const inputs: Array<{ name: string; input: AnalyzeInput }> = [
  ...WELL_KNOWN_SETS,
  {
    name: 'helmet headers + 3 cookies + CORS probe + 60 KB HTML page',
    input: {
      url: 'https://app.example.com/',
      status: 200,
      headers: {
        'content-type': 'text/html; charset=utf-8',
        ...HELMET_DEFAULTS,
        'set-cookie': ['__Host-session=abc; Path=/; Secure; HttpOnly; SameSite=Lax', 'csrftoken=def; Path=/; Secure; SameSite=Strict', 'theme=dark; Path=/; Max-Age=3600'],
      },
      body: bigPage,
      cors: { origin: 'https://golive-cors-probe.example', headers: { vary: 'Origin' } },
      redirection: { startUrl: 'http://app.example.com/', hops: [{ status: 301, location: 'https://app.example.com/' }], final: { url: 'https://app.example.com/', status: 200 } },
    },
  },
];

function measure(fn: () => void): { meanUs: number; p50Us: number; p99Us: number } {
  for (let i = 0; i < Math.min(2000, ITERATIONS); i++) fn(); // warm-up
  const samples = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples[i] = Number(process.hrtime.bigint() - t0) / 1000;
  }
  samples.sort();
  const mean = samples.reduce((a, b) => a + b, 0) / samples.length;
  const at = (q: number) => samples[Math.min(samples.length - 1, Math.ceil(q * samples.length) - 1)] ?? 0;
  return { meanUs: mean, p50Us: at(0.5), p99Us: at(0.99) };
}

console.log(`analyzeHeaders, ${ITERATIONS} iterations per input (Node ${process.version})`);
let worstP99 = 0;
for (const { name, input } of inputs) {
  const flat: Array<[string, string]> = Object.entries(input.headers).flatMap(([k, v]) => (v === undefined ? [] : typeof v === 'string' ? [[k, v] as [string, string]] : v.map((x) => [k, x] as [string, string])));
  const ref = measure(() => {
    new Headers(flat);
  });
  const r = measure(() => {
    analyzeHeaders(input);
  });
  worstP99 = Math.max(worstP99, r.p99Us);
  console.log(
    `${name}\n  analyse: mean ${r.meanUs.toFixed(1)} µs, p50 ${r.p50Us.toFixed(1)} µs, p99 ${r.p99Us.toFixed(1)} µs` +
      `  | reference new Headers(): mean ${ref.meanUs.toFixed(1)} µs  | ratio ${(r.meanUs / ref.meanUs).toFixed(1)}×`,
  );
}
console.log(`worst p99: ${worstP99.toFixed(1)} µs (budget 1000 µs per response: ${worstP99 <= 1000 ? 'within' : 'OVER'})`);
