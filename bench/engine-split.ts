// Benchmark: the load engine of this checkout against the engine of an earlier commit (default bc3b7f3, the
// last commit before runEngine and h1.ts were split into named units), in interleaved rounds of one
// invocation, against the same server.
// Run: ./node_modules/.bin/node bench/engine-split.ts   (ENGINE_BENCH_BASE=<commit> ENGINE_BENCH_ROUNDS=5
//      ENGINE_BENCH_SECONDS=5 ENGINE_BENCH_MODES=closed,open)
//
// The base commit is exported with `git archive` into a temporary directory, node_modules linked (no npm
// install) and compiled with tsc; this checkout is compiled with `tsc -b packages/golive`. Each run is a fresh
// process (pinned to CPU 0) that imports `runEngine` from one build's dist/ and drives it directly (no CLI
// start-up in the figures): 1 000 warm-up requests, then the timed phase. Its CPU time (process.cpuUsage over
// the timed phase) divided by responses is the engine's CPU per request.
//
// Scenarios, both against bench/fixtures/delay-server.c answering at once (pinned to CPU 1, one server
// process for the whole invocation: both engines meet the same server):
//   closed: 50 connections, client-bound (the server is faster than either client): requests/s, CPU µs/req;
//   open:   20 000 requests/s scheduled (up to 200 in flight): CPU µs/req and p99 at a rate both sustain.
// Each round runs old and new back to back, the order alternating every round (ABBA), so drift on this shared
// machine falls on both alike. Printed: every round, each engine's range (min–max) and median, the ratio
// new/old of the medians, and the range of the per-round ratios (each pair met the same neighbours).
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, PerformanceObserver } from 'node:perf_hooks';

const ROOT = new URL('..', import.meta.url).pathname;
const NODE = process.execPath;
const BASE = process.env.ENGINE_BENCH_BASE ?? 'bc3b7f3';
const ROUNDS = Math.max(1, Number(process.env.ENGINE_BENCH_ROUNDS ?? 5));
const SECONDS = Number(process.env.ENGINE_BENCH_SECONDS ?? 5);
const OPEN_RATE = 20_000;
const MODES = (process.env.ENGINE_BENCH_MODES ?? 'closed,open').split(',');

interface DriveResult {
  rps: number;
  responses: number;
  failed: number;
  cpuUsPerReq: number;
  /** User-space part of cpuUsPerReq: the JavaScript and libuv side, without the kernel's loopback work. */
  userUsPerReq: number;
  /**
   * Young-generation collections per 100 000 responses during the timed phase: with the semispaces fixed at
   * 2 MB, a measure of the bytes allocated per request that the machine's load does not move.
   */
  scavengesPer100k: number;
  p50Ms: number | null;
  p99Ms: number | null;
}

// ---- driver mode: `node bench/engine-split.ts --drive <dist> <url> <closed|open> <seconds>` prints one JSON line.
async function drive(dist: string, url: string, mode: string, seconds: number): Promise<void> {
  const { runEngine } = (await import(join(dist, 'load/engine.js'))) as typeof import('../packages/golive/src/load/engine.ts');
  const { buildPlan } = (await import(join(dist, 'load/scenario.js'))) as typeof import('../packages/golive/src/load/scenario.ts');
  const plan = await buildPlan({ request: { method: 'GET', path: '/' }, seed: 1, runId: 'bench', nowSec: Math.floor(Date.now() / 1000) });
  let cpu0 = process.cpuUsage();
  let scavenges = 0;
  let timed = false;
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (timed && ((e as { detail?: { kind?: number } }).detail)?.kind === constants.NODE_PERFORMANCE_GC_MINOR) scavenges++;
  });
  gcs.observe({ entryTypes: ['gc'] });
  const result = await runEngine({
    baseUrl: url,
    plan,
    model: mode === 'open' ? { type: 'open', ratePerSec: OPEN_RATE, durationMs: seconds * 1000, maxInFlight: 200 } : { type: 'closed', concurrency: 50, durationMs: seconds * 1000 },
    warmup: { requests: 1000, path: '/' },
    beforeStart: async () => {
      timed = true;
      cpu0 = process.cpuUsage();
      return undefined;
    },
  });
  const cpu = process.cpuUsage(cpu0);
  // GC entries are delivered asynchronously: let the last ones arrive.
  await new Promise((r) => setTimeout(r, 50));
  gcs.disconnect();
  const out: DriveResult = {
    rps: result.throughput.requestsPerSec,
    responses: result.requests.responses,
    failed: result.requests.failed,
    cpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, result.requests.responses),
    userUsPerReq: cpu.user / Math.max(1, result.requests.responses),
    scavengesPer100k: (scavenges * 100_000) / Math.max(1, result.requests.responses),
    p50Ms: result.latency.p50Ms,
    p99Ms: result.latency.p99Ms,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

const pinned = (cpu: number, cmd: string[]): string[] => (existsSync('/usr/bin/taskset') && availableParallelism() > 1 ? ['taskset', '-c', String(cpu), ...cmd] : cmd);

function run(cmd: string, args: string[], cwd: string): void {
  const r = spawnSync(cmd, args, { cwd, stdio: ['ignore', 'inherit', 'inherit'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status})`);
}

/** Exports `commit` into a temporary directory and compiles packages/golive there; returns its dist/. */
function buildBase(commit: string): { dist: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), 'golive-engine-base-'));
  const tar = spawnSync('sh', ['-c', `git -C "${ROOT}" archive "${commit}" packages/golive tsconfig.base.json package.json | tar -x -C "${dir}"`], { stdio: 'inherit' });
  if (tar.status !== 0) throw new Error(`git archive ${commit} failed`);
  // The dependencies are the same packages: linked, not installed.
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
  run(join(ROOT, 'node_modules/.bin/tsc'), ['-b', 'packages/golive'], dir);
  return { dist: join(dir, 'packages/golive/dist'), dir };
}

async function startServer(bin: string): Promise<{ url: string; child: ChildProcess }> {
  const [cmd, ...args] = pinned(1, [bin, '0']);
  const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

function runDriver(dist: string, url: string, mode: string): Promise<DriveResult> {
  // The same young-generation cap for both (what runLoad sets in the CLI): 2 MB semispaces.
  const [cmd, ...args] = pinned(0, [NODE, '--max-semi-space-size=2', new URL(import.meta.url).pathname, '--drive', dist, url, mode, String(SECONDS)]);
  return new Promise((resolve, reject) => {
    const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.once('error', reject);
    child.once('close', (code) => {
      try {
        resolve(JSON.parse(out) as DriveResult);
      } catch {
        reject(new Error(`driver exited ${code} and printed ${JSON.stringify(out.slice(0, 200))}`));
      }
    });
  });
}

const f = (n: number | null, d = 0) => (n === null ? 'n/a' : n.toFixed(d));
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? (s[(s.length - 1) / 2] as number) : ((s[s.length / 2 - 1] as number) + (s[s.length / 2] as number)) / 2;
};
const range = (xs: number[], d: number) => `${Math.min(...xs).toFixed(d)}–${Math.max(...xs).toFixed(d)} (median ${median(xs).toFixed(d)})`;

async function main(): Promise<void> {
  const server = join(tmpdir(), `golive-bench-delay-server-${process.getuid?.() ?? 0}`);
  if (spawnSync('cc', ['-O2', '-o', server, `${ROOT}bench/fixtures/delay-server.c`], { stdio: 'inherit' }).status !== 0) throw new Error('a C compiler is needed for the server');
  console.log(`engine-split: ${BASE} (old) vs this checkout (new), ${ROUNDS} interleaved rounds of ${SECONDS} s, ${availableParallelism()} CPUs (server on CPU 1, engines on CPU 0)`);
  run(join(ROOT, 'node_modules/.bin/tsc'), ['-b', 'packages/golive'], ROOT);
  const base = buildBase(BASE);
  const builds = { old: base.dist, new: join(ROOT, 'packages/golive/dist') };
  const srv = await startServer(server);
  try {
    for (const mode of (['closed', 'open'] as const).filter((m) => MODES.includes(m))) {
      console.log(
        `\n${mode === 'closed' ? 'closed model, 50 connections, client-bound' : `open model, ${OPEN_RATE} requests/s (up to 200 in flight)`}: C server answering at once`,
      );
      const results: Record<'old' | 'new', DriveResult[]> = { old: [], new: [] };
      for (let i = 0; i < ROUNDS; i++) {
        const order: ('old' | 'new')[] = i % 2 === 0 ? ['old', 'new'] : ['new', 'old'];
        const line: string[] = [];
        for (const which of order) {
          const r = await runDriver(builds[which], srv.url, mode);
          if (r.failed > 0) throw new Error(`${which} engine: ${r.failed} failed requests`);
          results[which].push(r);
          line.push(`${which} ${f(r.rps)} req/s ${f(r.cpuUsPerReq, 2)} µs/req (user ${f(r.userUsPerReq, 2)}) ${f(r.scavengesPer100k, 1)} scavenges/100k p99 ${f(r.p99Ms, 2)} ms`);
        }
        console.log(`  round ${i + 1}: ${line.join(' · ')}`);
      }
      for (const which of ['old', 'new'] as const) {
        const rs = results[which];
        console.log(
          `  ${which}: req/s ${range(
            rs.map((r) => r.rps),
            0,
          )} · CPU µs/req ${range(
            rs.map((r) => r.cpuUsPerReq),
            2,
          )} · user µs/req ${range(
            rs.map((r) => r.userUsPerReq),
            2,
          )} · scavenges/100k ${range(
            rs.map((r) => r.scavengesPer100k),
            1,
          )} · p99 ms ${range(
            rs.map((r) => r.p99Ms ?? 0),
            2,
          )}`,
        );
      }
      const m = (w: 'old' | 'new', k: 'rps' | 'cpuUsPerReq' | 'userUsPerReq') => median(results[w].map((r) => r[k]));
      // Paired: each round's two runs met the same neighbours on this shared machine.
      const paired = (k: 'rps' | 'cpuUsPerReq' | 'userUsPerReq') => results.new.map((r, i) => r[k] / (results.old[i] as DriveResult)[k]);
      console.log(`  new/old (medians): req/s ${(m('new', 'rps') / m('old', 'rps')).toFixed(3)}× · CPU per request ${(m('new', 'cpuUsPerReq') / m('old', 'cpuUsPerReq')).toFixed(3)}× (user ${(m('new', 'userUsPerReq') / m('old', 'userUsPerReq')).toFixed(3)}×)`);
      console.log(
        `  new/old per round: req/s ${range(paired('rps'), 3)} · CPU per request ${range(paired('cpuUsPerReq'), 3)} · user ${range(paired('userUsPerReq'), 3)}`,
      );
    }
  } finally {
    srv.child.kill('SIGTERM');
    rmSync(base.dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--drive') {
  await drive(process.argv[3] as string, process.argv[4] as string, process.argv[5] as string, Number(process.argv[6]));
} else {
  await main();
}
