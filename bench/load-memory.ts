// Benchmark: memory of a 1,000,000-request run (target: peak RSS under 100 MB) and that memory does not grow
// with the number of requests.
// Run: ./node_modules/.bin/node bench/load-memory.ts      (LOAD_MEMORY_REQUESTS=200000 for a shorter run)
//
// Each measurement is a fresh process pinned to CPU 0 against a server (bench/load-compare.ts --serve fast)
// pinned to CPU 1; the peak resident set is the kernel's maxrss of that process:
//   engine   the load engine alone through runLoad (closed model, 50 connections), from dist/ when built,
//            else from src/;
//   untuned  the same with tuneHeap: false (V8's young generation then grows to ~50 MB under the allocation
//            rate of tens of thousands of requests per second, although almost nothing survives);
//   cli      `golive load` through the built bin (or src/cli/main.ts), measured by /usr/bin/time -f %M.
// Latencies go into fixed-size HDR histograms once the exact-sample limit (10 000) is passed, and a plan
// without per-request variables is one prepared request reused, so the engine keeps O(1) memory per request.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const REQUESTS = Number(process.env.LOAD_MEMORY_REQUESTS ?? 1_000_000);
const LIMIT_MB = 100;
const DIST = existsSync(`${ROOT}packages/golive/dist/load/engine.js`);
const pin = (cpu: number) => (existsSync('/usr/bin/taskset') && availableParallelism() > 1 ? ['taskset', '-c', String(cpu)] : []);

interface Measured {
  maxRssMb: number;
  responses: number;
  failed: number;
  rps: number;
  p50Ms: number | null;
  p99Ms: number | null;
  source: string;
}

// The measured engine process runs plain JavaScript written to a temporary file, so the type stripper that
// runs this .ts file (~30 MB) is not counted against the engine.
const ENGINE_CHILD = `
const [url, total, dist, root] = [process.argv[2], Number(process.argv[3]), process.argv[4] === '1', process.argv[5]];
const base = dist ? root + 'packages/golive/dist/load/' : root + 'packages/golive/src/load/';
const ext = dist ? 'js' : 'ts';
const { runLoad } = await import(base + 'run.' + ext);
const r = await runLoad({
  baseUrl: url,
  scenario: { request: { path: '/' }, seed: 1, runId: 'mem', nowSec: Math.floor(Date.now() / 1000) },
  model: { type: 'closed', concurrency: 50, total },
  warmup: null,
  tuneHeap: process.argv[6] !== 'untuned',
});
process.stdout.write(JSON.stringify({
  maxRssMb: process.resourceUsage().maxRSS / 1024, responses: r.requests.responses, failed: r.requests.failed,
  rps: r.throughput.requestsPerSec, p50Ms: r.latency.p50Ms, p99Ms: r.latency.p99Ms, source: r.latency.source,
}) + '\\n');
`;

await main();

function engine(url: string, total: number, nodeFlags: string[], tuned = true): Measured {
  const script = join(mkdtempSync(join(tmpdir(), 'golive-load-memory-')), 'engine.mjs');
  writeFileSync(script, ENGINE_CHILD);
  const cmd = [...pin(0), process.execPath, ...nodeFlags, script, url, String(total), DIST ? '1' : '0', ROOT, tuned ? 'tuned' : 'untuned'];
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`engine run failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Measured;
}

function cli(url: string, total: number): Measured | null {
  if (!existsSync('/usr/bin/time')) {
    console.log('  /usr/bin/time not found (apt-get install time): the CLI row is skipped');
    return null;
  }
  const bin = existsSync(`${ROOT}packages/golive/dist/cli/main.js`) ? `${ROOT}packages/golive/bin/golive.js` : `${ROOT}packages/golive/src/cli/main.ts`;
  const cmd = [...pin(0), '/usr/bin/time', '-f', '@@MAXRSS %M', process.execPath, bin, 'load', url, '--json', '-q', '--warmup', '0', '-n', String(total), '-c', '50'];
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const kb = Number(/@@MAXRSS (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
  const j = JSON.parse(r.stdout) as {
    requests: { responses: number; failed: number };
    throughput: { requestsPerSec: number };
    latency: { p50Ms: number | null; p99Ms: number | null; source: string };
  };
  return { maxRssMb: kb / 1024, responses: j.requests.responses, failed: j.requests.failed, rps: j.throughput.requestsPerSec, p50Ms: j.latency.p50Ms, p99Ms: j.latency.p99Ms, source: j.latency.source };
}

function row(name: string, n: number, m: Measured | null): void {
  if (!m) return;
  console.log(
    `  ${name.padEnd(9)}${n.toLocaleString('en').padStart(10)}${m.maxRssMb.toFixed(1).padStart(10)}${String(m.responses).padStart(10)}${String(m.failed).padStart(7)}${Math.round(m.rps).toString().padStart(8)}${String(m.p50Ms).padStart(9)}${String(m.p99Ms).padStart(9)}  ${m.source}`,
  );
}

async function main(): Promise<void> {
  const serverCmd = [...pin(1), process.execPath, `${ROOT}bench/load-compare.ts`, '--serve', 'fast'];
  const server = spawn(serverCmd[0] as string, serverCmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => server.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
  const url = `http://127.0.0.1:${port}/`;
  try {
    console.log(`load-memory: closed model, 50 connections; engine from ${DIST ? 'dist/' : 'src/ (type stripping adds ~30 MB; build for the real figure)'}`);
    console.log(`  ${'run'.padEnd(9)}${'requests'.padStart(10)}${'peak MB'.padStart(10)}${'answers'.padStart(10)}${'failed'.padStart(7)}${'req/s'.padStart(8)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}  percentiles`);
    const small = Math.min(10_000, REQUESTS);
    const e1 = engine(url, small, []);
    row('engine', small, e1);
    const e2 = engine(url, REQUESTS, []);
    row('engine', REQUESTS, e2);
    const e3 = engine(url, REQUESTS, [], false);
    row('untuned', REQUESTS, e3);
    const c = cli(url, REQUESTS);
    row('cli', REQUESTS, c);
    console.log(`  growth from ${small.toLocaleString('en')} to ${REQUESTS.toLocaleString('en')} requests: ${(e2.maxRssMb - e1.maxRssMb).toFixed(1)} MB (engine)`);
    console.log(`  ${e2.maxRssMb < LIMIT_MB ? 'MET   ' : 'MISSED'} engine (runLoad) peak RSS ${e2.maxRssMb.toFixed(1)} MB < ${LIMIT_MB} MB`);
    console.log(`         without the heap tuning (tuneHeap: false): ${e3.maxRssMb.toFixed(1)} MB`);
    if (c) console.log(`  ${c.maxRssMb < LIMIT_MB ? 'MET   ' : 'MISSED'} golive load (CLI) peak RSS ${c.maxRssMb.toFixed(1)} MB < ${LIMIT_MB} MB`);
  } finally {
    server.kill('SIGTERM');
  }
}
