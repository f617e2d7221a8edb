// Benchmark: memory of a 1,000,000-request run (target: peak RSS under 100 MB).
// Run: ./node_modules/.bin/node bench/load-memory.ts      (LOAD_MEMORY_REQUESTS=200000 for a shorter run)
//
// `golive load` runs as a child process under /usr/bin/time, whose "%M" is the child's peak resident set
// (the kernel's maxrss); the server (bench/load-compare.ts --serve fast) runs in another process pinned to
// CPU 1. Latencies go into HDR histograms (fixed size) once the exact-sample limit (10 000) is passed, and a
// plan without per-request variables is one prepared request reused, so memory should not grow with the
// number of requests.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';

const ROOT = new URL('..', import.meta.url).pathname;
const REQUESTS = Number(process.env.LOAD_MEMORY_REQUESTS ?? 1_000_000);
const LIMIT_MB = 100;
const pin = (cpu: number) => (existsSync('/usr/bin/taskset') && availableParallelism() > 1 ? ['taskset', '-c', String(cpu)] : []);

const serverCmd = [...pin(1), process.execPath, `${ROOT}bench/load-compare.ts`, '--serve', 'fast'];
const server = spawn(serverCmd[0] as string, serverCmd.slice(1), { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<string>((resolve) => server.stdout.once('data', (d: Buffer) => resolve(d.toString().trim())));
const url = `http://127.0.0.1:${port}/`;

function run(extra: string[]): { maxRssMb: number; result: { requests: { responses: number; failed: number }; throughput: { requestsPerSec: number }; latency: { p50Ms: number; p99Ms: number; source: string }; durationMs: number } } {
  const timeBin = existsSync('/usr/bin/time') ? ['/usr/bin/time', '-f', '@@MAXRSS %M'] : [];
  if (timeBin.length === 0) console.log('  /usr/bin/time not found (apt-get install time): peak RSS is not measured');
  const cmd = [...pin(0), ...timeBin, process.execPath, `${ROOT}packages/golive/src/cli/main.ts`, 'load', url, '--json', '-q', ...extra];
  const r = spawnSync(cmd[0] as string, cmd.slice(1), { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const kb = Number(/@@MAXRSS (\d+)/.exec(r.stderr)?.[1] ?? Number.NaN);
  return { maxRssMb: kb / 1024, result: JSON.parse(r.stdout) };
}

try {
  console.log(`load-memory: golive load with ${REQUESTS.toLocaleString('en')} requests at 50 connections (closed model)`);
  const small = run(['-n', '1000', '-c', '50']);
  console.log(`  baseline, 1 000 requests:      peak RSS ${small.maxRssMb.toFixed(1)} MB`);
  const big = run(['-n', String(REQUESTS), '-c', '50']);
  const r = big.result;
  console.log(
    `  ${REQUESTS.toLocaleString('en')} requests: peak RSS ${big.maxRssMb.toFixed(1)} MB · ${r.requests.responses} responses, ${r.requests.failed} failed in ${(r.durationMs / 1000).toFixed(1)} s (${Math.round(r.throughput.requestsPerSec)} req/s) · p50 ${r.latency.p50Ms} ms, p99 ${r.latency.p99Ms} ms (${r.latency.source})`,
  );
  console.log(`  ${big.maxRssMb < LIMIT_MB ? 'MET   ' : 'MISSED'} peak RSS ${big.maxRssMb.toFixed(1)} MB < ${LIMIT_MB} MB (growth over the 1 000-request run: ${(big.maxRssMb - small.maxRssMb).toFixed(1)} MB)`);
} finally {
  server.kill('SIGTERM');
}
