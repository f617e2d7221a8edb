// Redis refused, hung (CLIENT PAUSE) or unreachable from boot: rate-limited requests answer within
// their normal latency plus a small bound, readiness stays 200, /health/detailed shows the limiter as
// `warn` and a metric the open circuit; when Redis is back the circuit closes. Each test runs its own
// redis-server on a free port (the machine's Redis is never stopped or paused).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import net from 'node:net';
import { test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { startFaultProxy } from '../fault-proxy.ts';
import { makeApp, reachable, TENANT_A } from '../helpers.ts';

const COMMAND_TIMEOUT_MS = 100;
// "Normal latency plus a small bound": the command timeout, and slack for 2 shared CPUs.
const EXTRA_BOUND_MS = COMMAND_TIMEOUT_MS + 150;
const auth = { authorization: `Bearer ${TENANT_A.apiKey}` };

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

/** Starts a throw-away redis-server (no persistence) on `port`; resolves once it accepts connections. */
async function startRedis(port: number): Promise<ChildProcess> {
  const child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (await reachable(port, '127.0.0.1', 200)) return child;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on port ${port}`);
}

async function stopRedis(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

/** Latencies (ms) of `n` sequential then `n` concurrent rate-limited requests; every answer must be 200. */
async function measure(app: FastifyInstance, n: number): Promise<number[]> {
  const one = async () => {
    const t0 = performance.now();
    const r = await app.inject({ method: 'GET', url: '/v1/events?limit=1', headers: auth });
    assert.equal(r.statusCode, 200, r.body);
    return performance.now() - t0;
  };
  const ms: number[] = [];
  for (let i = 0; i < n; i++) ms.push(await one());
  ms.push(...(await Promise.all(Array.from({ length: n }, one))));
  return ms;
}

function p99(ms: number[]): number {
  const sorted = [...ms].sort((a, b) => a - b);
  return Math.round(sorted[Math.ceil(sorted.length * 0.99) - 1]!);
}

async function limiterState(app: FastifyInstance) {
  const ready = await app.inject({ method: 'GET', url: '/health/ready' });
  const detailed = await app.inject({ method: 'GET', url: '/health/detailed' });
  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  const circuit = /^pilot_rate_limit_redis_circuit_open (\d)/m.exec(metrics.body)?.[1];
  const body = detailed.json() as { status: string; checks: Record<string, Array<{ status: string }>> };
  return {
    ready: ready.statusCode,
    detailedStatus: detailed.statusCode,
    overall: body.status,
    limiter: body.checks['rateLimit:store']?.[0]?.status,
    circuit,
  };
}

async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 8_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${what} within ${timeoutMs} ms`);
}

function appEnv(redisPort: number) {
  return {
    REDIS_URL: `redis://127.0.0.1:${redisPort}`,
    REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS),
    REDIS_RETRY_INTERVAL_MS: '300',
    RATE_LIMIT_MAX: '100000',
  };
}

test('Redis refused, then back: bounded latency, readiness 200, limiter warn, circuit closes again', async (t) => {
  const port = await freePort();
  let redis = await startRedis(port);
  const app = await makeApp(appEnv(port));
  try {
    const baseline = p99(await measure(app, 30));
    await stopRedis(redis);
    const refused = p99(await measure(app, 30));
    t.diagnostic(`p99 with Redis up ${baseline} ms; refused ${refused} ms`);
    assert.ok(refused <= baseline + EXTRA_BOUND_MS, `p99 ${refused} ms with Redis refused (baseline ${baseline} ms)`);
    assert.deepEqual(await limiterState(app), { ready: 200, detailedStatus: 200, overall: 'warn', limiter: 'warn', circuit: '1' });

    redis = await startRedis(port);
    await waitFor('the circuit closes once Redis is back', async () => (await limiterState(app)).circuit === '0');
    assert.deepEqual(await limiterState(app), { ready: 200, detailedStatus: 200, overall: 'pass', limiter: 'pass', circuit: '0' });
  } finally {
    await app.close();
    await stopRedis(redis);
  }
});

test('Redis hung (CLIENT PAUSE): bounded latency while paused, circuit closes after the pause', async (t) => {
  const port = await freePort();
  const redis = await startRedis(port);
  const app = await makeApp(appEnv(port));
  const admin = new Redis({ port, host: '127.0.0.1' });
  try {
    const baseline = p99(await measure(app, 30));
    await admin.call('CLIENT', 'PAUSE', '4000', 'ALL');
    const t0 = Date.now();
    const paused = p99(await measure(app, 30));
    t.diagnostic(`p99 with Redis up ${baseline} ms; paused ${paused} ms`);
    assert.ok(paused <= baseline + EXTRA_BOUND_MS, `p99 ${paused} ms with Redis paused (baseline ${baseline} ms)`);
    assert.ok(Date.now() - t0 < 4_000, 'the measurement outlasted the pause: it proves nothing');
    const during = await limiterState(app);
    assert.equal(during.ready, 200);
    assert.equal(during.limiter, 'warn');
    assert.equal(during.circuit, '1');
    await waitFor('the circuit closes after the pause', async () => (await limiterState(app)).circuit === '0', 10_000);
  } finally {
    admin.disconnect();
    await app.close();
    await stopRedis(redis);
  }
});

test('Redis unreachable from boot (connections accepted, never answered): boot and requests are not held', async (t) => {
  const port = await freePort();
  const redis = await startRedis(port);
  const proxy = await startFaultProxy({ port });
  proxy.setMode('freeze');
  const t0 = Date.now();
  const app = await makeApp(appEnv(proxy.port));
  try {
    const bootMs = Date.now() - t0;
    // Normal latency: the same requests with in-memory counters.
    const memApp = await makeApp({ RATE_LIMIT_MAX: '100000' });
    let baseline: number;
    try {
      baseline = p99(await measure(memApp, 30));
    } finally {
      await memApp.close();
    }
    const unreachable = p99(await measure(app, 30));
    t.diagnostic(`boot ${bootMs} ms; p99 in-memory ${baseline} ms; Redis unreachable ${unreachable} ms`);
    assert.ok(unreachable <= baseline + EXTRA_BOUND_MS, `p99 ${unreachable} ms with Redis unreachable (in-memory ${baseline} ms)`);
    const s = await limiterState(app);
    assert.equal(s.ready, 200);
    assert.equal(s.limiter, 'warn');
    assert.equal(s.circuit, '1');
  } finally {
    await app.close();
    await proxy.close();
    await stopRedis(redis);
  }
});
