// Benchmark: time to analyse one recorded response with analyzeHeaders (budget: ≤ 1 ms per response).
// Run: ./node_modules/.bin/node bench/security-analyse.ts   (SECURITY_BENCH_ITERATIONS=20000 to change the count)
// Figures are per call, from batches of calls (single-call timings on a shared machine mostly measure the neighbours).
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

/**
 * Times `fn` in batches of BATCH calls: a batch mean is far less disturbed by scheduling on a shared machine
 * than single-call timings, whose tail mostly measures the neighbours.
 */
const BATCH = 50;
function measure(fn: () => void): { meanUs: number; p50Us: number; p99Us: number; maxBatchUs: number } {
  for (let i = 0; i < Math.min(2000, ITERATIONS); i++) fn(); // warm-up
  const batches = Math.max(1, Math.floor(ITERATIONS / BATCH));
  const perCall = new Float64Array(batches);
  for (let b = 0; b < batches; b++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < BATCH; i++) fn();
    perCall[b] = Number(process.hrtime.bigint() - t0) / 1000 / BATCH;
  }
  perCall.sort();
  const mean = perCall.reduce((a, b) => a + b, 0) / perCall.length;
  const at = (q: number) => perCall[Math.min(perCall.length - 1, Math.ceil(q * perCall.length) - 1)] ?? 0;
  return { meanUs: mean, p50Us: at(0.5), p99Us: at(0.99), maxBatchUs: perCall[perCall.length - 1] ?? 0 };
}

console.log(`analyzeHeaders, ${ITERATIONS} calls per input in batches of ${BATCH} (Node ${process.version}); µs per call`);
let worst = 0;
for (const { name, input } of inputs) {
  const flat: Array<[string, string]> = Object.entries(input.headers).flatMap(([k, v]) =>
    v === undefined ? [] : typeof v === 'string' ? [[k, v] as [string, string]] : v.map((x) => [k, x] as [string, string]),
  );
  const ref = measure(() => {
    new Headers(flat);
  });
  const r = measure(() => {
    analyzeHeaders(input);
  });
  worst = Math.max(worst, r.p50Us);
  console.log(
    `${name}\n  analyse: mean ${r.meanUs.toFixed(1)}, median batch ${r.p50Us.toFixed(1)}, p99 batch ${r.p99Us.toFixed(1)}, slowest batch ${r.maxBatchUs.toFixed(1)}` +
      `  | reference new Headers(): mean ${ref.meanUs.toFixed(1)}  | ratio ${(r.meanUs / ref.meanUs).toFixed(1)}×`,
  );
}
console.log(`slowest input, median: ${worst.toFixed(1)} µs per response (budget 1000 µs: ${worst <= 1000 ? 'within' : 'OVER'})`);
