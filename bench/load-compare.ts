// Benchmark: golive's load engine against wrk and autocannon on the same loopback server, in one invocation.
// Run: ./node_modules/.bin/node bench/load-compare.ts   (LOAD_BENCH_SECONDS=5 run length, LOAD_BENCH_ROUNDS=3 throughput rounds)
//
// 1. Throughput at 50 connections against a fast server: requests/s of each client, ratios against wrk and
//    autocannon, and each client's CPU per request (user + system time of the client process, read from the
//    waiting shell's cutime/cstime in /proc, so start-up is included for every client alike). Then 1b: the
//    same against the C server answering at once, which no client saturates (client-bound throughput), with
//    a minimal Node client beside them (what the runtime allows from one CPU).
// 2. A server with a fixed 20 ms delay: p50 and p99 against 20 ms, and Little's law for the closed model
//    (mean latency ≈ concurrency / throughput); beside them a minimal Node client (the runtime's floor), and
//    before them the platform's hiccups (bench/fixtures/hiccup.c: how long each CPU is taken from a process
//    that never blocks), which no client can hide from its p99.
// 3. A server that stalls 200 ms every second: golive's open model at a fixed rate (p99 should be ≈ 190 ms,
//    and the stall flagged) beside closed-model runs (golive closed, wrk) that do not see it.
// The server runs in its own process pinned to CPU 1 (taskset), the clients on CPU 0, one after the other.
// wrk is a Debian package: when it is missing and this runs as root with apt-get, the script installs it
// (LOAD_BENCH_NO_INSTALL=1 skips that; without wrk its rows are skipped). autocannon is a root devDependency.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const NODE = process.execPath;
const SECONDS = Number(process.env.LOAD_BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.LOAD_BENCH_ROUNDS ?? 3);
const CONNECTIONS = 50;
// The built CLI when there is one (what users run), else the sources through type stripping.
const GOLIVE_BIN = existsSync(`${ROOT}packages/golive/dist/cli/main.js`) ? `${ROOT}packages/golive/bin/golive.js` : `${ROOT}packages/golive/src/cli/main.ts`;
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

type Mode = 'fast' | 'delay20' | 'stall' | 'instant';

const pinned = (cpu: number, cmd: string[]): string[] => (existsSync('/usr/bin/taskset') && availableParallelism() > 1 ? ['taskset', '-c', String(cpu), ...cmd] : cmd);

/**
 * The fixed-delay server is C (bench/fixtures/delay-server.c, built here with the machine's C compiler): a
 * Node server's timers fire late under load (its own delay measured p99 24-34 ms for 20 ms), so every client
 * would report the server's jitter. Without a compiler the Node server below stands in, and says so.
 */
function buildDelayServer(): string | null {
  const out = join(tmpdir(), `golive-bench-delay-server-${process.getuid?.() ?? 0}`);
  const r = spawnSync('cc', ['-O2', '-o', out, `${ROOT}bench/fixtures/delay-server.c`], { encoding: 'utf8' });
  return r.status === 0 ? out : null;
}
const DELAY_SERVER = process.argv[2] === '--serve' ? null : buildDelayServer();

/** bench/fixtures/hiccup.c built with the machine's C compiler (null without one). */
function buildHiccup(): string | null {
  const out = join(tmpdir(), `golive-bench-hiccup-${process.getuid?.() ?? 0}`);
  const r = spawnSync('cc', ['-O2', '-o', out, `${ROOT}bench/fixtures/hiccup.c`], { encoding: 'utf8' });
  return r.status === 0 ? out : null;
}

interface Hiccups {
  cpu: number;
  gapsOver1ms: number;
  totalGapMs: number;
  worstMs: number;
}

/**
 * Time each CPU is taken from a process that never blocks, measured on an otherwise idle machine (both CPUs
 * at once, `seconds` long). Gaps of a millisecond or more on the server's or the client's CPU put answers of
 * the 20 ms server late for every client alike: they bound the p99 any client can report here.
 */
async function measureHiccups(seconds: number): Promise<Hiccups[] | null> {
  const bin = process.argv[2] === '--serve' ? null : buildHiccup();
  if (!bin) return null;
  const cpus = availableParallelism() > 1 && existsSync('/usr/bin/taskset') ? [0, 1] : [0];
  const one = (cpu: number) =>
    new Promise<Hiccups>((resolve, reject) => {
      const [cmd, ...args] = pinned(cpu, [bin, String(seconds)]);
      const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
      });
      child.once('error', reject);
      child.once('close', () => {
        try {
          resolve({ cpu, ...(JSON.parse(out) as Omit<Hiccups, 'cpu'>) });
        } catch {
          reject(new Error(`hiccup meter printed ${JSON.stringify(out.slice(0, 200))}`));
        }
      });
    });
  return Promise.all(cpus.map(one));
}

async function startServer(mode: Mode): Promise<{ url: string; child: ChildProcess }> {
  const [cmd, ...args] =
    (mode === 'delay20' || mode === 'instant') && DELAY_SERVER
      ? pinned(1, [DELAY_SERVER, mode === 'delay20' ? '20000' : '0'])
      : pinned(1, [NODE, new URL(import.meta.url).pathname, '--serve', mode === 'instant' ? 'fast' : mode]);
  const child = spawn(cmd as string, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim()));
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

/**
 * Warms a fresh server's JIT before a client is measured (2 000 requests on 50 connections from this
 * process), so no client pays for the server's first seconds: a cold server answers a burst of 50 requests
 * several milliseconds apart, which shows up in every client's p99.
 */
async function prewarm(url: string): Promise<void> {
  const loop = async () => {
    for (let i = 0; i < 40; i++) await (await fetch(url)).arrayBuffer();
  };
  await Promise.all(Array.from({ length: 50 }, loop));
}

async function stopServer(s: { child: ChildProcess }): Promise<void> {
  s.child.kill('SIGTERM');
  await new Promise((r) => s.child.once('exit', r));
}

interface Run {
  stdout: string;
  stderr: string;
  /** User + system CPU seconds of the client process (and its threads / children). */
  cpuSec: number;
  wallSec: number;
}

/**
 * Runs a client pinned to CPU 0 under `sh`, which waits for it and then prints its own /proc stat: the
 * cutime and cstime fields hold the finished client's CPU time.
 */
function runClient(cmd: string[]): Promise<Run> {
  const inner = pinned(0, cmd);
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', '"$@" > /tmp/golive-bench-client.out; rc=$?; echo "@@STAT $(cat /proc/$$/stat)"; exit $rc', 'sh', ...inner], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: ROOT,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('close', () => {
      const m = /@@STAT (.*)/.exec(out);
      const fields = (m?.[1] ?? '').replace(/^.*\) /, '').split(' ');
      const cpuSec = (Number(fields[13] ?? 0) + Number(fields[14] ?? 0)) / CLK_TCK;
      let stdout = '';
      try {
        stdout = readFileSync('/tmp/golive-bench-client.out', 'utf8');
      } catch {
        stdout = '';
      }
      resolve({ stdout, stderr: err, cpuSec, wallSec: (performance.now() - started) / 1000 });
    });
  });
}

interface Figures {
  name: string;
  rps: number;
  requests: number;
  p50Ms: number | null;
  p99Ms: number | null;
  meanMs: number | null;
  cpuSec: number;
  note?: string;
}

function wrkMs(text: string, label: string): number | null {
  const m = new RegExp(`^\\s*${label}\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(text);
  if (!m) return null;
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 's' ? v * 1000 : v;
}

async function wrk(url: string, connections: number, seconds: number): Promise<Figures | null> {
  if (!existsSync('/usr/bin/wrk')) return null;
  const r = await runClient(['wrk', '-t1', `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1] ?? 0);
  return { name: 'wrk', rps, requests, p50Ms: wrkMs(r.stdout, '50%'), p99Ms: wrkMs(r.stdout, '99%'), meanMs: wrkMs(r.stdout, 'Latency'), cpuSec: r.cpuSec };
}

async function autocannon(url: string, connections: number, seconds: number): Promise<Figures> {
  const r = await runClient([NODE, `${ROOT}node_modules/autocannon/autocannon.js`, '-c', String(connections), '-d', String(seconds), '--json', url]);
  const j = JSON.parse(r.stdout.slice(r.stdout.indexOf('{'))) as {
    requests: { total: number };
    duration: number;
    latency: { p50: number; p99: number; average: number };
  };
  return { name: 'autocannon', rps: j.requests.total / j.duration, requests: j.requests.total, p50Ms: j.latency.p50, p99Ms: j.latency.p99, meanMs: j.latency.average, cpuSec: r.cpuSec };
}

/** The runtime's floor: bench/fixtures/raw-node-client.ts, a Node client without parser or histogram. */
async function rawNode(url: string, connections: number, seconds: number, warmup: number): Promise<Figures> {
  const r = await runClient([NODE, `${ROOT}bench/fixtures/raw-node-client.ts`, url, String(connections), String(seconds), String(warmup)]);
  const j = JSON.parse(r.stdout) as { requests: number; durationSec: number; p50Ms: number; p99Ms: number; meanMs: number };
  return { name: 'node raw', rps: j.requests / j.durationSec, requests: j.requests, p50Ms: j.p50Ms, p99Ms: j.p99Ms, meanMs: j.meanMs, cpuSec: r.cpuSec };
}

interface GoliveJson {
  requests: { responses: number; failed: number };
  throughput: { requestsPerSec: number };
  latency: { p50Ms: number | null; p99Ms: number | null; meanMs: number | null };
  latencyUncorrected: { p50Ms: number | null; p99Ms: number | null } | null;
  stalls: { atMs: number; durationMs: number }[];
  flags: string[];
}

async function golive(url: string, args: string[]): Promise<{ f: Figures; json: GoliveJson }> {
  // golive's default warm-up (one GET per connection before the timed phase) is part of how it runs.
  const r = await runClient([NODE, GOLIVE_BIN, 'load', url, '--json', '-q', ...args]);
  let json: GoliveJson;
  try {
    json = JSON.parse(r.stdout) as GoliveJson;
  } catch {
    throw new Error(`golive load printed no result: ${r.stdout.slice(0, 300)} ${r.stderr.slice(0, 300)}`);
  }
  return {
    json,
    f: {
      name: 'golive',
      rps: json.throughput.requestsPerSec,
      requests: json.requests.responses,
      p50Ms: json.latency.p50Ms,
      p99Ms: json.latency.p99Ms,
      meanMs: json.latency.meanMs,
      cpuSec: r.cpuSec,
    },
  };
}

const f1 = (n: number | null | undefined, d = 1) => (n === null || n === undefined ? 'n/a' : n.toFixed(d));

function table(rows: Figures[]): void {
  console.log(`  ${'client'.padEnd(11)}${'req/s'.padStart(10)}${'requests'.padStart(10)}${'p50 ms'.padStart(9)}${'p99 ms'.padStart(9)}${'mean ms'.padStart(9)}${'CPU s'.padStart(8)}${'CPU µs/req'.padStart(12)}`);
  for (const r of rows) {
    const perReq = r.requests > 0 ? (r.cpuSec * 1e6) / r.requests : Number.NaN;
    console.log(
      `  ${r.name.padEnd(11)}${f1(r.rps, 0).padStart(10)}${String(r.requests).padStart(10)}${f1(r.p50Ms, 3).padStart(9)}${f1(r.p99Ms, 3).padStart(9)}${f1(r.meanMs, 3).padStart(9)}${f1(r.cpuSec, 2).padStart(8)}${f1(perReq, 1).padStart(12)}`,
    );
  }
}

function verdict(ok: boolean, text: string): void {
  console.log(`  ${ok ? 'MET   ' : 'MISSED'} ${text}`);
}

/** Installs wrk from the Debian archive when it is missing and that is possible; says what it did. */
function ensureWrk(): void {
  if (existsSync('/usr/bin/wrk') || process.env.LOAD_BENCH_NO_INSTALL === '1') return;
  if (process.getuid?.() !== 0 || !existsSync('/usr/bin/apt-get')) return;
  console.log('  wrk not found: installing it with apt-get (LOAD_BENCH_NO_INSTALL=1 skips this)');
  const install = () => spawnSync('apt-get', ['install', '-y', '-qq', 'wrk'], { stdio: 'ignore', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!install()) {
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'ignore' });
    install();
  }
}

async function main(): Promise<void> {
  ensureWrk();
  console.log(`load-compare: ${CONNECTIONS} connections, ${SECONDS} s per run, ${availableParallelism()} CPUs (server on CPU 1, clients on CPU 0); golive: ${GOLIVE_BIN.replace(ROOT, '')}`);
  if (!existsSync('/usr/bin/wrk')) console.log('  wrk not found: install it with "apt-get install wrk" (Debian); its rows are skipped');

  // 1. throughput (a fresh server process for every client, so no client inherits another's server state)
  console.log(`\n1. Throughput, fast server (GET, 12-byte body), ${ROUNDS} interleaved rounds`);
  const fresh = async <T>(mode: Mode, fn: (url: string) => Promise<T>): Promise<T> => {
    const srv = await startServer(mode);
    try {
      await prewarm(srv.url);
      return await fn(srv.url);
    } finally {
      await stopServer(srv);
    }
  };
  // Other work on the machine moves single runs by ±50 %: interleave the clients over several rounds and
  // keep each client's median round (by throughput).
  const rounds: { w: Figures | null; a: Figures; g: Figures }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    rounds.push({
      w: await fresh('fast', (u) => wrk(u, CONNECTIONS, SECONDS)),
      a: await fresh('fast', (u) => autocannon(u, CONNECTIONS, SECONDS)),
      g: (await fresh('fast', (u) => golive(u, ['-c', String(CONNECTIONS), '--duration', `${SECONDS}s`]))).f,
    });
  }
  const median = (list: Figures[]): Figures => {
    const sorted = [...list].sort((x, y) => x.rps - y.rps);
    return sorted[Math.floor(sorted.length / 2)] as Figures;
  };
  const w = rounds[0]?.w ? median(rounds.map((r) => r.w as Figures)) : null;
  const a = median(rounds.map((r) => r.a));
  const g = median(rounds.map((r) => r.g));
  const rows: Figures[] = [...(w ? [w] : []), a, g];
  console.log(`  every round (req/s): ${rounds.map((r, i) => `#${i + 1} wrk ${f1(r.w?.rps, 0)} · autocannon ${f1(r.a.rps, 0)} · golive ${f1(r.g.rps, 0)}`).join(' | ')}`);
  console.log(`  median of ${ROUNDS} rounds:`);
  table(rows);
  const cpu = (f: Figures) => (f.cpuSec * 1e6) / Math.max(1, f.requests);
  if (w) verdict(g.rps >= 0.9 * w.rps, `golive/wrk throughput ${(g.rps / w.rps).toFixed(2)}× (target ≥ 0.9×); CPU per request ${(cpu(g) / cpu(w)).toFixed(2)}× wrk's`);
  verdict(g.rps >= a.rps, `golive/autocannon throughput ${(g.rps / a.rps).toFixed(2)}× (target ≥ 1.0×); CPU per request ${(cpu(g) / cpu(a)).toFixed(2)}× autocannon's`);

  // 1b. The Node server above is the bottleneck on a quiet machine (every client then measures the server).
  // The C server answering at once is faster than every client: what each client can drive from one CPU.
  // "node raw" (bench/fixtures/raw-node-client.ts) is what the runtime itself allows from one CPU.
  if (DELAY_SERVER) {
    console.log(`\n1b. Throughput, client-bound: C server answering at once (bench/fixtures/delay-server.c, delay 0), ${ROUNDS} interleaved rounds`);
    const roundsB: { w: Figures | null; a: Figures; g: Figures; r: Figures }[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      roundsB.push({
        w: await fresh('instant', (u) => wrk(u, CONNECTIONS, SECONDS)),
        a: await fresh('instant', (u) => autocannon(u, CONNECTIONS, SECONDS)),
        g: (await fresh('instant', (u) => golive(u, ['-c', String(CONNECTIONS), '--duration', `${SECONDS}s`]))).f,
        r: await fresh('instant', (u) => rawNode(u, CONNECTIONS, SECONDS, 1000)),
      });
    }
    console.log(
      `  every round (req/s): ${roundsB.map((r, i) => `#${i + 1} wrk ${f1(r.w?.rps, 0)} · autocannon ${f1(r.a.rps, 0)} · golive ${f1(r.g.rps, 0)} · node raw ${f1(r.r.rps, 0)}`).join(' | ')}`,
    );
    console.log(`  median of ${ROUNDS} rounds:`);
    const wb = roundsB[0]?.w ? median(roundsB.map((r) => r.w as Figures)) : null;
    const ab = median(roundsB.map((r) => r.a));
    const gb = median(roundsB.map((r) => r.g));
    const rb = median(roundsB.map((r) => r.r));
    table([...(wb ? [wb] : []), ab, gb, rb]);
    if (wb) verdict(gb.rps >= 0.9 * wb.rps, `client-bound golive/wrk throughput ${(gb.rps / wb.rps).toFixed(2)}× (target ≥ 0.9×); CPU per request ${(cpu(gb) / cpu(wb)).toFixed(2)}× wrk's; node raw/wrk ${(rb.rps / wb.rps).toFixed(2)}×, golive/node raw ${(gb.rps / rb.rps).toFixed(2)}×`);
    verdict(gb.rps >= ab.rps, `client-bound golive/autocannon throughput ${(gb.rps / ab.rps).toFixed(2)}× (target ≥ 1.0×)`);
  }

  // 2. fixed 20 ms delay
  console.log(
    `\n2. Fixed 20 ms delay, closed model, ${ROUNDS} interleaved rounds (${DELAY_SERVER ? 'C server, bench/fixtures/delay-server.c' : 'Node server: no C compiler found, its own timer jitter shows in every client'})`,
  );
  const short = Math.min(SECONDS, 5);
  const hiccups = await measureHiccups(short);
  if (hiccups) {
    console.log(
      `  platform hiccups on an idle machine (${short} s, bench/fixtures/hiccup.c): ${hiccups.map((h) => `CPU ${h.cpu} lost ${h.gapsOver1ms} × ≥ 1 ms (${f1(h.totalGapMs, 1)} ms in all, worst ${f1(h.worstMs, 2)} ms)`).join(' · ')}`,
    );
  }
  // golive warms up with 1 000 requests (20 per connection) so its JIT is hot before the timed phase.
  // "node raw" (bench/fixtures/raw-node-client.ts, same warm-up) is the runtime's own floor on this machine.
  const rounds2: { w: Figures | null; a: Figures; g: Figures; r: Figures }[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    rounds2.push({
      w: await fresh('delay20', (u) => wrk(u, CONNECTIONS, short)),
      a: await fresh('delay20', (u) => autocannon(u, CONNECTIONS, short)),
      g: (await fresh('delay20', (u) => golive(u, ['-c', String(CONNECTIONS), '--duration', `${short}s`, '--warmup', '1000']))).f,
      r: await fresh('delay20', (u) => rawNode(u, CONNECTIONS, short, 1000)),
    });
  }
  const byP99 = (list: Figures[]): Figures => {
    const sorted = [...list].sort((x, y) => (x.p99Ms ?? 0) - (y.p99Ms ?? 0));
    return sorted[Math.floor(sorted.length / 2)] as Figures;
  };
  console.log(`  p99 of every round (ms): ${rounds2.map((r, i) => `#${i + 1} wrk ${f1(r.w?.p99Ms, 2)} · autocannon ${f1(r.a.p99Ms, 2)} · golive ${f1(r.g.p99Ms, 2)} · node raw ${f1(r.r.p99Ms, 2)}`).join(' | ')}`);
  console.log(`  median round by p99:`);
  const w2 = rounds2[0]?.w ? byP99(rounds2.map((r) => r.w as Figures)) : null;
  const g2 = byP99(rounds2.map((r) => r.g));
  const rows2: Figures[] = [...(w2 ? [w2] : []), byP99(rounds2.map((r) => r.a)), g2, byP99(rounds2.map((r) => r.r))];
  table(rows2);
  verdict(Math.abs((g2.p50Ms ?? 0) - 20) <= 1, `golive p50 ${f1(g2.p50Ms, 3)} ms within 1 ms of 20 ms`);
  verdict(
    Math.abs((g2.p99Ms ?? 0) - 20) <= 1,
    `golive p99 ${f1(g2.p99Ms, 3)} ms within 1 ms of 20 ms${w2 ? ` (wrk, a C client, on the same server: ${f1(w2.p99Ms, 3)} ms${Math.abs((w2.p99Ms ?? 0) - 20) > 1 ? ': the machine, not the client, sets this tail' : ''})` : ''}`,
  );
  const little = (CONNECTIONS / g2.rps) * 1000;
  verdict(
    Math.abs((g2.meanMs ?? 0) - little) / little <= 0.1,
    `Little's law: mean ${f1(g2.meanMs, 3)} ms vs concurrency/throughput ${f1(little, 3)} ms (${f1((((g2.meanMs ?? 0) - little) / little) * 100, 1)} %, target within 10 %)`,
  );

  // 3. stalling server
  const rate = 1000;
  console.log(`\n3. Server stalling 200 ms every second: open model at ${rate} req/s vs closed models`);
  const s = await startServer('stall');
  const open = await golive(s.url, ['--rate', String(rate), '-c', '400', '--duration', `${Math.min(SECONDS, 5)}s`]);
  const closed = await golive(s.url, ['-c', String(CONNECTIONS), '--duration', `${Math.min(SECONDS, 5)}s`]);
  const w3 = await wrk(s.url, CONNECTIONS, Math.min(SECONDS, 5));
  await stopServer(s);
  const rows3: Figures[] = [
    { ...open.f, name: 'golive open' },
    {
      name: 'open uncorr',
      rps: open.f.rps,
      requests: open.f.requests,
      p50Ms: open.json.latencyUncorrected?.p50Ms ?? null,
      p99Ms: open.json.latencyUncorrected?.p99Ms ?? null,
      meanMs: null,
      cpuSec: open.f.cpuSec,
    },
    { ...closed.f, name: 'golive clsd' },
    ...(w3 ? [{ ...w3, name: 'wrk (clsd)' }] : []),
  ];
  table(rows3);
  verdict((open.f.p99Ms ?? 0) >= 150, `open model p99 ${f1(open.f.p99Ms, 1)} ms ≥ 150 ms (theory ≈ 190 ms)`);
  verdict(open.json.flags.includes('STALL'), `stall flagged: ${open.json.stalls.length} stall(s) [${open.json.stalls.slice(0, 6).map((x) => `${x.durationMs} ms`).join(', ')}], flags ${open.json.flags.join(',') || 'none'}`);
  console.log(
    `  closed-model blindness: golive closed p99 ${f1(closed.f.p99Ms, 1)} ms${w3 ? `, wrk p99 ${f1(w3.p99Ms, 1)} ms` : ''} vs open p99 ${f1(open.f.p99Ms, 1)} ms (closed flags: ${closed.json.flags.join(',') || 'none'})`,
  );
}

// ---- server mode: `node bench/load-compare.ts --serve <mode>` prints its port and serves until killed.
if (process.argv[2] === '--serve') {
  const mode = (process.argv[3] ?? 'fast') as Mode;
  const body = 'hello world\n';
  const server = createServer((_req, res) => {
    const send = () => {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
      res.end(body);
    };
    if (mode === 'fast') return send();
    if (mode === 'delay20') {
      // Node timers fire late by up to a millisecond or more under load; finish the last millisecond with
      // setImmediate so the server's own delay is 20.0 ms and the figures measure the clients.
      const t0 = performance.now();
      const wait = () => (performance.now() - t0 >= 20 ? send() : setImmediate(wait));
      return void setTimeout(wait, 19);
    }
    // stall: for the first 200 ms of every wall-clock second nothing is answered.
    const phase = Date.now() % 1000;
    if (phase < 200) setTimeout(send, 200 - phase);
    else send();
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
  });
  process.on('SIGTERM', () => process.exit(0));
} else {
  await main();
}
