/**
 * The `outage` drill against pilot on the real PostgreSQL, through a TCP proxy this test owns: the break
 * command cuts the proxy (the database is gone for pilot), the restore command opens it again. pilot's
 * readiness must turn, its liveness hold, and readiness come back, with no restart. The machine's PostgreSQL is
 * never stopped: only this test's proxy is broken. Needs PostgreSQL on 127.0.0.1:5432 (under CI=true a missing
 * one fails the test; elsewhere it is skipped with a message).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import net from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { resolveConfig } from '../../src/index.ts';
import { runGate } from '../../src/runner/run-gate.ts';

const ROOT = new URL('../../../../', import.meta.url).pathname;
const PILOT = join(ROOT, 'packages/pilot/dist/server.js');
const CI = process.env.CI === 'true';

function psql(sql: string): void {
  execFileSync('psql', ['-h', '127.0.0.1', '-U', 'postgres', '-d', 'postgres', '-v', 'ON_ERROR_STOP=1', '-q', '-c', sql], { stdio: 'pipe' });
}

function postgresUp(): boolean {
  try {
    execFileSync('pg_isready', ['-q', '-h', '127.0.0.1', '-p', '5432']);
    return true;
  } catch {
    return false;
  }
}

/** A TCP proxy in front of PostgreSQL that the test can cut (refuse and drop) and open again. */
class CuttableProxy {
  server: net.Server | undefined;
  sockets = new Set<net.Socket>();
  port = 0;
  async open(): Promise<void> {
    const server = net.createServer((client) => {
      const upstream = net.connect(5432, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as net.AddressInfo).port;
    this.server = server;
  }
  async cut(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}

const available = postgresUp();
const skip = !available && !CI ? 'PostgreSQL on 127.0.0.1:5432 is unreachable (set CI=true to make this a failure)' : false;

const db = `golive_outage_${randomBytes(4).toString('hex')}`;
const password = randomBytes(12).toString('hex');
const proxy = new CuttableProxy();
let control: HttpServer;
let controlUrl = '';
let dir: string;
let ready = false;

before(async () => {
  if (!available) {
    if (CI) throw new Error('PostgreSQL on 127.0.0.1:5432 is unreachable (CI=true: not skipping)');
    return;
  }
  assert.ok(existsSync(PILOT), 'build first: tsc -b packages/pilot');
  psql(`CREATE ROLE ${db} LOGIN NOSUPERUSER NOBYPASSRLS NOCREATEDB NOCREATEROLE PASSWORD '${password}'`);
  psql(`CREATE DATABASE ${db} OWNER ${db}`);
  await proxy.open();
  // The break and restore commands are real processes: they call this endpoint, as a script would stop a proxy.
  control = createHttpServer((req, res) => {
    const done = () => res.end('ok');
    if (req.url === '/break') void proxy.cut().then(done);
    else if (req.url === '/restore') void proxy.open().then(done);
    else res.end();
  });
  await new Promise<void>((r) => control.listen(0, '127.0.0.1', r));
  controlUrl = `http://127.0.0.1:${(control.address() as net.AddressInfo).port}`;
  dir = await mkdtemp(join(tmpdir(), 'golive-outage-pilot-'));
  ready = true;
});

after(async () => {
  if (!ready) return;
  await proxy.cut();
  await new Promise<void>((r) => control.close(() => r()));
  await rm(dir, { recursive: true, force: true });
  psql(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${db}'`);
  psql(`DROP DATABASE IF EXISTS ${db}`);
  psql(`DROP ROLE IF EXISTS ${db}`);
});

const call = (path: string) => [process.execPath, '-e', `fetch(${JSON.stringify(`${controlUrl}${path}`)}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(2))`];

describe('outage drill against pilot on PostgreSQL', { skip }, () => {
  it('readiness turns when the database goes, liveness holds, readiness returns, no restart', async () => {
    const config = resolveConfig({
      file: {
        target: {
          start: {
            command: [process.execPath, PILOT],
            env: {
              PORT: '0',
              APP_ENV: 'staging',
              LOG_LEVEL: 'warn',
              DATABASE_URL: `postgres://${db}:${password}@127.0.0.1:${proxy.port}/${db}`,
              DATABASE_QUERY_TIMEOUT_MS: '1000',
              DATABASE_ACQUIRE_TIMEOUT_MS: '1000',
            },
            readyUrl: '/health/ready',
            timeoutMs: 60_000,
          },
        },
        checks: { outage: { kind: 'outage', options: { break: call('/break'), restore: call('/restore'), withinMs: 15_000, intervalMs: 200 } } },
      },
      env: {},
    });
    const report = await runGate(config, { env: {}, out: join(dir, 'out') });
    const r = report.stages[1]?.checks[0];
    assert.equal(r?.status, 'pass', JSON.stringify(r?.observations.filter((o) => !o.passed)));
    const d = r?.data as { readyDownMs: number; readyBackMs: number; liveFailures: number; pidBefore: number; pidAfter: number };
    assert.ok(d.readyDownMs !== null && d.readyBackMs !== null, JSON.stringify(d));
    assert.equal(d.liveFailures, 0);
    assert.equal(d.pidAfter, d.pidBefore);
  });
});
