// Benchmark: pilot's signed idempotent ingest against a bare fastify route on the same machine,
// then the seeds' go/no-go load (2000 requests over 400 keys at concurrency 75) with its p95.
// Run: ./node_modules/.bin/node bench/pilot-ingest.ts   (PILOT_BENCH_SECONDS=10 to change the duration)
// Each server runs in its own process; the load generator (autocannon) runs here.
// Last, a cost account: CPU per request of the load generator and of pilot's plugin stack (GET /health/live),
// and the PostgreSQL backend's CPU per stored event (pilot_ingest_batch, batches of 64, read from /proc),
// summed into the cores a durable ingest at half the bare route's rate needs at the very least.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { migrate } from '../packages/pilot/src/db/migrate.ts';
import { PostgresDb } from '../packages/pilot/src/db/postgres.ts';
import { signRequest } from '../packages/pilot/src/lib/signature.ts';
import { ingestBatch } from '../packages/pilot/src/services/ingest.ts';
import { upsertTenant } from '../packages/pilot/src/services/tenants.ts';

// autocannon ships no type declarations: type the part this benchmark uses.
interface LoadRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
}
interface LoadOptions extends LoadRequest {
  url: string;
  connections: number;
  duration?: number;
  amount?: number;
  requests?: { setupRequest: (req: LoadRequest) => LoadRequest }[];
}
interface LoadResult {
  requests: { average: number };
  errors: number;
  timeouts: number;
}
type LoadInstance = PromiseLike<LoadResult> & {
  on(event: 'response', fn: (client: unknown, status: number, bytes: number, ms: number) => void): void;
};
const autocannon = createRequire(import.meta.url)('autocannon') as (o: LoadOptions) => LoadInstance;

const SECONDS = Number(process.env.PILOT_BENCH_SECONDS ?? 8);
const CONNECTIONS = Number(process.env.PILOT_BENCH_CONNECTIONS ?? 50);
const TENANT = 'bench';
const API_KEY = `bench-key-${randomBytes(8).toString('hex')}`;
const SECRET = `bench-secret-${randomBytes(8).toString('hex')}`;
const PILOT_SERVER = new URL('../packages/pilot/src/server.ts', import.meta.url).pathname;

const BARE_SERVER = `
import Fastify from 'fastify';
const app = Fastify({ logger: false });
app.post('/bare', async () => ({ ok: true }));
await app.listen({ port: 0, host: '127.0.0.1' });
console.log(JSON.stringify({ msg: 'listening', url: 'http://127.0.0.1:' + app.server.address().port }));
`;

interface Server {
  child: ChildProcess;
  url: string;
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** User + system CPU seconds a process has used so far (Linux /proc; NaN elsewhere). */
function processCpuSec(pid: number | undefined): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return Number.NaN;
  }
}

/** CPU microseconds per request of the server process and of this process (the load generator) during `fn`. */
async function withCpu<T extends { total: number }>(
  serverPid: number | undefined,
  fn: () => Promise<T>,
): Promise<T & { serverUsPerReq: number; clientUsPerReq: number }> {
  const s0 = processCpuSec(serverPid);
  const c0 = process.cpuUsage();
  const r = await fn();
  const c = process.cpuUsage(c0);
  const serverUsPerReq = ((processCpuSec(serverPid) - s0) * 1e6) / r.total;
  return { ...r, serverUsPerReq, clientUsPerReq: (c.user + c.system) / r.total };
}

function startProcess(args: string[], env: Record<string, string>): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, NODE_NO_WARNINGS: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}\n${err}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"msg":"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve({ child, url: (JSON.parse(line) as { url: string }).url });
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${err}`));
    });
  });
}

async function stop(s: Server): Promise<void> {
  s.child.removeAllListeners('exit');
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  await exited;
}

function pilotEnv(extra: Record<string, string>): Record<string, string> {
  return {
    APP_ENV: 'development',
    PORT: '0',
    LOG_LEVEL: 'warn',
    PILOT_DATA_DIR: 'memory://',
    RATE_LIMIT_MAX: '1000000',
    DRAIN_DELAY_MS: '0',
    PILOT_BOOTSTRAP_TENANT: TENANT,
    PILOT_BOOTSTRAP_API_KEY: API_KEY,
    PILOT_BOOTSTRAP_SIGNING_SECRET: SECRET,
    ...extra,
    // PILOT_BENCH_PILOT_ENV="NAME=value ..." adds variables to every pilot (e.g. ENRICH_WORKER=off).
    ...Object.fromEntries(
      (process.env.PILOT_BENCH_PILOT_ENV ?? '')
        .split(' ')
        .filter((kv) => kv.includes('='))
        .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
    ),
  };
}

interface Outcome {
  rps: number;
  total: number;
  statuses: Record<string, number>;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  errors: number;
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function load(o: LoadOptions): Promise<Outcome> {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const instance = autocannon(o);
  instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
    latencies.push(ms);
    statuses[status] = (statuses[status] ?? 0) + 1;
  });
  const result = await instance;
  latencies.sort((a, b) => a - b);
  return {
    rps: result.requests.average,
    total: latencies.length,
    statuses,
    p50Ms: percentile(latencies, 50),
    p95Ms: percentile(latencies, 95),
    p99Ms: percentile(latencies, 99),
    errors: result.errors + result.timeouts,
  };
}

function ingestRequest(key: string, body: string, timestamp: number) {
  return {
    method: 'POST' as const,
    path: '/v1/events',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${API_KEY}`,
      'idempotency-key': key,
      'x-signature': signRequest({ secret: SECRET, method: 'POST', path: '/v1/events', body, idempotencyKey: key, timestamp }),
    },
    body,
  };
}

/** Throughput of the ingest: every request a new key (every request writes). */
async function ingestThroughput(url: string): Promise<Outcome> {
  let n = 0;
  const run = randomBytes(4).toString('hex');
  return load({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        setupRequest: (req: LoadRequest) => {
          n += 1;
          const key = `tp-${run}-${n}`;
          const body = JSON.stringify({ type: 'bench', key, value: n });
          return { ...req, ...ingestRequest(key, body, Math.floor(Date.now() / 1000)) };
        },
      },
    ],
  });
}

/** The seeds' go/no-go load: 2000 requests over 400 keys at concurrency 75, pre-signed. */
async function goNoGo(url: string): Promise<Outcome> {
  const total = 2000;
  const unique = 400;
  const now = Math.floor(Date.now() / 1000);
  const run = randomBytes(4).toString('hex');
  // Repeats of a key carry the same body and distinct timestamps (now, now-1, ...): not replays.
  const prepared = Array.from({ length: total }, (_, i) => {
    const k = i % unique;
    const repeat = Math.floor(i / unique);
    const key = `gng-${run}-${k}`;
    return ingestRequest(key, JSON.stringify({ source: 'demo', tenant: TENANT, key }), now - repeat);
  });
  let i = 0;
  return load({
    url,
    connections: 75,
    amount: total,
    requests: [{ setupRequest: (req: LoadRequest) => ({ ...req, ...prepared[i++ % total]! }) }],
  });
}

async function bare(url: string): Promise<Outcome> {
  return load({
    url: `${url}/bare`,
    connections: CONNECTIONS,
    duration: SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ type: 'bench', key: 'k', value: 1 }),
  });
}

function reachable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

async function withPostgres<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = `pilot_bench_${randomBytes(4).toString('hex')}`;
  const password = randomBytes(8).toString('hex');
  const adminUrl = process.env.PILOT_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE ROLE ${name} LOGIN NOSUPERUSER NOBYPASSRLS PASSWORD '${password}'`);
  await admin.query(`CREATE DATABASE ${name} OWNER ${name}`);
  try {
    return await fn(`postgres://${name}:${password}@127.0.0.1:5432/${name}`);
  } finally {
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1', [name]);
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.query(`DROP ROLE IF EXISTS ${name}`);
    await admin.end();
  }
}

async function storedCount(url: string): Promise<number> {
  const r = await fetch(`${url}/v1/events?limit=1`, { headers: { authorization: `Bearer ${API_KEY}` } });
  return ((await r.json()) as { count: number }).count;
}

const fmt = (o: Outcome) =>
  `${o.rps.toFixed(0)} req/s, p50 ${o.p50Ms} ms, p95 ${o.p95Ms} ms, p99 ${o.p99Ms} ms, statuses ${JSON.stringify(o.statuses)}, errors ${o.errors}`;

/** CPU microseconds a request costs outside the database: pilot's plugin stack and the load generator. */
interface StackCost {
  pilotUs: number;
  clientUs: number;
}

async function benchPilot(label: string, env: Record<string, string>, bareRps: number): Promise<StackCost> {
  // PILOT_BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the server under load.
  const nodeArgs = (process.env.PILOT_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const pilot = await startProcess([...nodeArgs, PILOT_SERVER], pilotEnv(env));
  try {
    const live = await withCpu(pilot.child.pid, () =>
      load({ url: `${pilot.url}/health/live`, connections: CONNECTIONS, duration: SECONDS }),
    );
    console.log(`pilot GET /health/live [${label}] (all plugins, no database): ${fmt(live)}`);
    console.log(
      `  ratio live/bare: ${(live.rps / bareRps).toFixed(3)}; CPU per request: pilot ${live.serverUsPerReq.toFixed(1)} µs, load generator ${live.clientUsPerReq.toFixed(1)} µs`,
    );
    const tp = await ingestThroughput(pilot.url);
    console.log(`pilot ingest [${label}] (new key each request, c=${CONNECTIONS}, ${SECONDS}s): ${fmt(tp)}`);
    console.log(`  ratio ingest/bare: ${(tp.rps / bareRps).toFixed(3)} (target >= 0.5)`);
    const before = await storedCount(pilot.url);
    const g = await goNoGo(pilot.url);
    const stored = (await storedCount(pilot.url)) - before;
    const ok = (g.statuses['201'] ?? 0) + (g.statuses['409'] ?? 0);
    console.log(`go/no-go [${label}] 2000 req / 400 keys / c=75: ${fmt(g)}`);
    console.log(`  p95 ${g.p95Ms} ms (target < 1000 ms), answered 201/409: ${ok}/${g.total}, events stored: ${stored} (expected 400)`);
    return { pilotUs: live.serverUsPerReq, clientUs: live.clientUsPerReq };
  } finally {
    await stop(pilot);
  }
}

/**
 * The PostgreSQL backend's CPU per stored event when pilot's own statement stores events in batches of 64
 * over one connection (no HTTP, no round trip per event): the least database work a durable ingest costs.
 */
async function databaseCostPerEvent(url: string): Promise<number> {
  const db = await PostgresDb.open({ connectionString: url, poolMax: 1 });
  try {
    await db.withClient((c) => migrate(c));
    await upsertTenant(db, { tenantId: TENANT, apiKey: API_KEY, signingSecret: SECRET, keyId: 'k1' });
    const backendPid = Number((await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid);
    const batch = (round: number) =>
      Array.from({ length: 64 }, (_, i) => {
        const key = `floor-${round}-${i}-${randomUUID()}`;
        return {
          tenantId: TENANT,
          signature: randomBytes(32).toString('hex'),
          idempotencyKey: key,
          requestHash: randomBytes(32).toString('hex'),
          payloadJson: JSON.stringify({ type: 'bench', key, value: i }),
        };
      });
    for (let r = 0; r < 20; r++) await ingestBatch(db, batch(r)); // warm-up: plans, caches
    const rounds = 300;
    const cpu0 = processCpuSec(backendPid);
    for (let r = 0; r < rounds; r++) {
      const out = await ingestBatch(db, batch(1000 + r));
      if (out.some((o) => o.kind !== 'created')) throw new Error('a floor batch did not store every event');
    }
    return ((processCpuSec(backendPid) - cpu0) * 1e6) / (rounds * 64);
  } finally {
    await db.close();
  }
}

function costAccount(bareRps: number, stack: StackCost, dbUs: number): void {
  const target = bareRps / 2;
  const perReq = stack.pilotUs + stack.clientUs + dbUs;
  const cores = (target * perReq) / 1e6;
  const have = availableParallelism();
  console.log('cost account of a durable ingest (CPU µs per request, each a lower bound):');
  console.log(
    `  pilot plugin stack (GET /health/live) ${stack.pilotUs.toFixed(1)} + load generator ${stack.clientUs.toFixed(1)} + PostgreSQL backend per stored event ${dbUs.toFixed(1)} = ${perReq.toFixed(1)} µs`,
  );
  console.log(
    `  half the bare route (${target.toFixed(0)} req/s) needs >= ${cores.toFixed(2)} CPUs; this machine has ${have}: ${cores > have ? 'unreachable here' : 'not excluded by this account'}`,
  );
  console.log(`  ceiling from this account: ingest/bare <= ${(have / perReq / (bareRps / 1e6)).toFixed(3)}`);
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${SECONDS}s per throughput run, ${CONNECTIONS} connections`);
  if (process.env.PILOT_BENCH_ONLY === 'ratio') {
    if (await reachable(5432)) await ratioSection();
    else console.log('PostgreSQL on 127.0.0.1:5432 unreachable: ratio section skipped');
    return;
  }
  const bareServer = await startProcess(['--input-type=module', '-e', BARE_SERVER], {});
  let bareOutcome: Outcome;
  try {
    bareOutcome = await bare(bareServer.url);
  } finally {
    await stop(bareServer);
  }
  console.log(`bare fastify POST /bare: ${fmt(bareOutcome)}`);
  await benchPilot('PGlite', {}, bareOutcome.rps);
  if (process.env.PILOT_BENCH_SKIP_PG === '1') return;
  if (await reachable(5432)) {
    const stack = await withPostgres((url) =>
      benchPilot('PostgreSQL', { DATABASE_URL: url, DATABASE_POOL_MAX: '20' }, bareOutcome.rps),
    );
    const dbUs = await withPostgres(databaseCostPerEvent);
    costAccount(bareOutcome.rps, stack, dbUs);
    await ratioSection();
  } else {
    console.log('PostgreSQL on 127.0.0.1:5432 unreachable: PostgreSQL run skipped');
  }
}


// ---- Section: pilot against pgbench on pilot's own batch function (the database-anchored target) ----
// pgbench -n -c 4 -j 2 -T <s> runs a script calling pilot_ingest_batch with 16 signed-looking items per
// call (a new key, signature and lock key for each), then pilot (its own process on DATABASE_URL of the same
// database, migrated and bootstrapped at boot) takes `golive load` at 50 connections with the v2-signed
// example scenario (examples/pilot-events.load.json), every request a new key; interleaved rounds.
// Events are counted in the events table (before/after), CPU read from /proc.

const RATIO_ROUNDS = Number(process.env.PILOT_BENCH_RATIO_ROUNDS ?? 3);
const RATIO_BATCH = 16;
const GOLIVE_BIN = new URL('../packages/golive/bin/golive.js', import.meta.url).pathname;
const SCENARIO = new URL('../examples/pilot-events.load.json', import.meta.url).pathname;
// PILOT_BENCH_BASE=<directory of another checkout> (e.g. `git archive <commit>` with node_modules linked) adds
// that checkout's pilot to every round, on the same database: before/after in one invocation.
const BASE_SERVER = process.env.PILOT_BENCH_BASE
  ? join(process.env.PILOT_BENCH_BASE, 'packages/pilot/src/server.ts')
  : undefined;

/** The pgbench script: one call of pilot_ingest_batch with RATIO_BATCH unique items. */
function pgbenchScript(): string {
  const n = RATIO_BATCH;
  const series = `generate_series(1, ${n}) g`;
  // u: a unique token per item (the call's random number, the client and the item, plus a fresh UUID).
  const u = `:r || '-' || :client_id || '-' || g || '-' || gen_random_uuid()`;
  return [
    '\\set r random(1, 2000000000)',
    'SELECT count(*) FROM (SELECT (x).* FROM (SELECT pilot_ingest_batch(',
    `  array_fill('${TENANT}'::text, ARRAY[${n}]),`,
    `  ARRAY(SELECT encode(sha256(('sig-' || ${u})::bytea), 'hex') FROM ${series}),`,
    `  ARRAY(SELECT 'pgb-' || ${u} FROM ${series}),`,
    `  ARRAY(SELECT 'pilot:idem:${TENANT}' || chr(10) || 'pgb-' || ${u} FROM ${series}),`,
    `  ARRAY(SELECT encode(sha256(('req-' || ${u})::bytea), 'hex') FROM ${series}),`,
    `  ARRAY(SELECT gen_random_uuid() FROM ${series}),`,
    `  ARRAY(SELECT json_build_object('type', 'golive.load', 'source', 'pgbench', 'tenant', '${TENANT}', 'key', 'pgb-' || ${u}, 'nonce', md5(random()::text))::text FROM ${series}),`,
    `  ARRAY(SELECT json_build_object('id', gen_random_uuid(), 'idempotencyKey', 'pgb-' || ${u})::text FROM ${series})`,
    ') AS x) s) t WHERE outcome = \'created\';',
    '',
  ].join('\n');
}

/** /proc/self/stat: CPU seconds of this process's waited-for children (cutime + cstime). */
function childrenCpuSec(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[13]) + Number(fields[14])) / CLK_TCK;
}

function runChild(cmd: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
    });
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

function pgbenchPath(): string {
  const onPath = spawnSync('sh', ['-c', 'command -v pgbench'], { encoding: 'utf8' }).stdout.trim();
  if (onPath) return onPath;
  const found = spawnSync('sh', ['-c', 'ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -1'], { encoding: 'utf8' });
  return found.stdout.trim();
}

interface RatioRun {
  eventsPerSec: number;
  events: number;
  seconds: number;
}

async function eventCount(admin: pg.Client): Promise<number> {
  return Number((await admin.query<{ n: string }>('SELECT count(*) AS n FROM events')).rows[0]!.n);
}

async function pgbenchRun(admin: pg.Client, url: string, pgbench: string, scriptFile: string): Promise<RatioRun> {
  const u = new URL(url);
  const before = await eventCount(admin);
  const t0 = performance.now();
  const r = await runChild(
    pgbench,
    ['-n', '-c', '4', '-j', '2', '-T', String(SECONDS), '-f', scriptFile, '-h', u.hostname, '-p', u.port, '-U', u.username, u.pathname.slice(1)],
    { PGPASSWORD: decodeURIComponent(u.password) },
  );
  const wall = (performance.now() - t0) / 1000;
  if (r.code !== 0) throw new Error(`pgbench failed (${r.code}):\n${r.out}\n${r.err}`);
  const events = (await eventCount(admin)) - before;
  const tps = Number(/tps = ([\d.]+) \(without initial connection time\)/.exec(r.out)?.[1] ?? Number.NaN);
  // pgbench's own rate (transactions after connecting) × items; the stored count checks every item stored.
  const fromTps = tps * RATIO_BATCH;
  return { eventsPerSec: Number.isFinite(fromTps) ? fromTps : events / wall, events, seconds: wall };
}

interface PilotRun extends RatioRun {
  pilotCpuSec: number;
  loadCpuSec: number;
  statuses: string;
  p95Ms: number;
}

async function pilotRun(admin: pg.Client, pilot: Server): Promise<PilotRun> {
  const before = await eventCount(admin);
  // Every request a new key, all signed before the timed phase; more than the run can send (the duration ends it).
  const total = 8000 * SECONDS;
  const args = [GOLIVE_BIN, 'load', '--scenario', SCENARIO, '--url', pilot.url, '-c', String(CONNECTIONS)];
  args.push('--duration', `${SECONDS}s`, '--total', String(total), '--unique', String(total), '--json', '-q', '--no-abort');
  const p0 = processCpuSec(pilot.child.pid);
  const c0 = childrenCpuSec();
  const r = await runChild(process.execPath, args, {
    PILOT_BOOTSTRAP_API_KEY: API_KEY,
    PILOT_BOOTSTRAP_SIGNING_SECRET: SECRET,
  });
  const loadCpuSec = childrenCpuSec() - c0;
  const pilotCpuSec = processCpuSec(pilot.child.pid) - p0;
  const events = (await eventCount(admin)) - before;
  let result: { durationMs?: number; statusCodes?: Record<string, number>; latency?: { p95Ms?: number | null }; throughput?: number };
  try {
    result = JSON.parse(r.out);
  } catch {
    throw new Error(`golive load printed no result (${r.code}):\n${r.out.slice(0, 2000)}\n${r.err.slice(0, 2000)}`);
  }
  const seconds = (result.durationMs ?? SECONDS * 1000) / 1000;
  return {
    eventsPerSec: events / seconds,
    events,
    seconds,
    pilotCpuSec,
    loadCpuSec,
    statuses: JSON.stringify(result.statusCodes ?? {}),
    p95Ms: Number(result.latency?.p95Ms ?? Number.NaN),
  };
}

const range = (xs: number[], digits = 0) => {
  const s = [...xs].sort((a, b) => a - b);
  const med = s[Math.floor(s.length / 2)]!;
  return `${s[0]!.toFixed(digits)}–${s[s.length - 1]!.toFixed(digits)} (median ${med.toFixed(digits)})`;
};

async function ratioSection(): Promise<void> {
  const pgbench = pgbenchPath();
  if (!pgbench) {
    console.log('pgbench not found: ratio section skipped');
    return;
  }
  console.log(
    `\nratio section: pgbench -n -c 4 -j 2 -T ${SECONDS} (pilot_ingest_batch × ${RATIO_BATCH}) vs pilot at ${CONNECTIONS} connections (golive load, ${SCENARIO.split('/').pop()}), ${RATIO_ROUNDS} interleaved rounds`,
  );
  const dir = mkdtempSync(join(tmpdir(), 'pilot-bench-'));
  const scriptFile = join(dir, 'ingest-batch.sql');
  writeFileSync(scriptFile, pgbenchScript());
  const adminUrl = process.env.PILOT_TEST_PG_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  try {
    await withPostgres(async (url) => {
      const nodeArgs = (process.env.PILOT_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
      const pilot = await startProcess([...nodeArgs, PILOT_SERVER], pilotEnv({ DATABASE_URL: url }));
      const base = BASE_SERVER ? await startProcess([...nodeArgs, BASE_SERVER], pilotEnv({ DATABASE_URL: url })) : undefined;
      const baseRuns: PilotRun[] = [];
      const admin = new pg.Client({ connectionString: adminUrl.replace(/\/[^/]*$/, `/${new URL(url).pathname.slice(1)}`) });
      await admin.connect();
      const pgRuns: RatioRun[] = [];
      const pilotRuns: PilotRun[] = [];
      try {
        for (let round = 1; round <= RATIO_ROUNDS; round++) {
          // Alternate the order so neither always runs on a table the other just grew.
          const order = base
            ? round % 2 === 1
              ? ['pgbench', 'base', 'pilot']
              : ['pilot', 'base', 'pgbench']
            : round % 2 === 1
              ? ['pgbench', 'pilot']
              : ['pilot', 'pgbench'];
          for (const which of order) {
            if (which === 'pgbench') {
              const r = await pgbenchRun(admin, url, pgbench, scriptFile);
              pgRuns.push(r);
              console.log(`  round ${round} pgbench: ${r.eventsPerSec.toFixed(0)} events/s (${r.events} stored)`);
            } else {
              const r = await pilotRun(admin, which === 'base' ? base! : pilot);
              (which === 'base' ? baseRuns : pilotRuns).push(r);
              console.log(
                `  round ${round} ${which === 'base' ? 'base: ' : 'pilot:'}   ${r.eventsPerSec.toFixed(0)} events/s (${r.events} stored in ${r.seconds.toFixed(2)} s), statuses ${r.statuses}, p95 ${r.p95Ms} ms; CPU: pilot ${r.pilotCpuSec.toFixed(2)} s = ${((r.pilotCpuSec * 1e6) / r.events).toFixed(1)} µs per stored event, load generator ${r.loadCpuSec.toFixed(2)} s (start-up and preparation included)`,
              );
            }
          }
        }
      } finally {
        await admin.end();
        await stop(pilot);
        if (base) await stop(base);
      }
      const ratios = pilotRuns.map((p, i) => p.eventsPerSec / pgRuns[i]!.eventsPerSec);
      const sorted = [...ratios].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]!;
      console.log(`  pgbench events/s: ${range(pgRuns.map((r) => r.eventsPerSec))}`);
      console.log(`  pilot events/s:   ${range(pilotRuns.map((r) => r.eventsPerSec))}`);
      console.log(`  pilot CPU µs per stored event: ${range(pilotRuns.map((r) => (r.pilotCpuSec * 1e6) / r.events), 1)}`);
      console.log(`  load generator CPU s per run: ${range(pilotRuns.map((r) => r.loadCpuSec), 2)}`);
      console.log(`  ratio pilot/pgbench per round: ${range(ratios, 3)}`);
      if (base) {
        console.log(`  base (${process.env.PILOT_BENCH_BASE}) events/s: ${range(baseRuns.map((r) => r.eventsPerSec))}`);
        console.log(`  base CPU µs per stored event: ${range(baseRuns.map((r) => (r.pilotCpuSec * 1e6) / r.events), 1)}`);
        console.log(`  ratio base/pgbench per round: ${range(baseRuns.map((p, i) => p.eventsPerSec / pgRuns[i]!.eventsPerSec), 3)}`);
        console.log(`  CPU per stored event, pilot/base per round: ${range(pilotRuns.map((p, i) => p.pilotCpuSec / p.events / (baseRuns[i]!.pilotCpuSec / baseRuns[i]!.events)), 3)}`);
      }
      console.log(`  target >= 0.6x: ${median >= 0.6 ? 'MET' : 'NOT MET'} (median ${median.toFixed(3)}; ${ratios.filter((r) => r >= 0.6).length}/${ratios.length} rounds at or above)`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: Error) => {
  console.error(err.stack);
  process.exitCode = 1;
});
