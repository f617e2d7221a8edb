/**
 * Real web servers from Debian (nginx, caddy) as targets: a hardened configuration must grade A or better and
 * pass the check; a weak one must fail it naming the headers. When a binary is missing the test skips, except
 * with CI=true, where it fails.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { exposureCheck } from '../../src/checks/exposure.ts';
import { securityHeadersCheck } from '../../src/checks/security-headers.ts';
import { codes, failed, makeContext, runCheck } from '../helpers/context.ts';

const NGINX = '/usr/sbin/nginx';
const CADDY = '/usr/bin/caddy';
const CI = process.env.CI === 'true';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const stderrOf = new WeakMap<ChildProcess, string>();

function captureStderr(child: ChildProcess): ChildProcess {
  child.stderr?.on('data', (b: Buffer) => stderrOf.set(child, ((stderrOf.get(child) ?? '') + b.toString()).slice(-2000)));
  return child;
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}: ${stderrOf.get(child) ?? ''}`);
    const ok = await new Promise<boolean>((resolve) => {
      const c = connect(port, '127.0.0.1');
      c.once('connect', () => {
        c.destroy();
        resolve(true);
      });
      c.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listened on ${port} within ${timeoutMs} ms`);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

const HARDENED_HEADERS: Array<[string, string]> = [
  ['Content-Security-Policy', "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"],
  ['X-Content-Type-Options', 'nosniff'],
  ['X-Frame-Options', 'DENY'],
  ['Referrer-Policy', 'no-referrer'],
  ['Cross-Origin-Resource-Policy', 'same-origin'],
  ['Cross-Origin-Opener-Policy', 'same-origin'],
  ['Permissions-Policy', 'camera=(), microphone=(), geolocation=()'],
  ['Strict-Transport-Security', 'max-age=63072000; includeSubDomains'],
];

const PAGE = '<!doctype html><html><head><title>ok</title></head><body>ok</body></html>';

function nginxConf(prefix: string, port: number, hardened: boolean): string {
  const headers = hardened
    ? HARDENED_HEADERS.map(([k, v]) => `    add_header ${k} "${v}" always;`).join('\n')
    : `    add_header Content-Security-Policy "default-src * 'unsafe-inline' 'unsafe-eval'";`;
  return `daemon off;
worker_processes 1;
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  server_tokens ${hardened ? 'off' : 'on'};
  client_body_temp_path ${prefix}/tmp/body;
  proxy_temp_path ${prefix}/tmp/proxy;
  fastcgi_temp_path ${prefix}/tmp/fastcgi;
  uwsgi_temp_path ${prefix}/tmp/uwsgi;
  scgi_temp_path ${prefix}/tmp/scgi;
  default_type text/html;
  server {
    listen 127.0.0.1:${port};
${headers}
    location = / { return 200 '${PAGE}'; }
${hardened ? '' : "    location = /.env { default_type text/plain; return 200 'APP_ENV=production\\nDB_PASSWORD=n0t-a-real-secret-42\\n'; }\n"}    location / { return 404 '<!doctype html><html><body>not found</body></html>'; }
  }
}
`;
}

function caddyfile(port: number, hardened: boolean): string {
  const headers = hardened
    ? HARDENED_HEADERS.map(([k, v]) => `    ${k} "${v.replaceAll('"', '\\"')}"`).join('\n')
    : `    Content-Security-Policy "default-src * 'unsafe-inline' 'unsafe-eval'"`;
  return `{
  admin off
  auto_https off
}
http://127.0.0.1:${port} {
  header {
${headers}
    Content-Type "text/html; charset=utf-8"
    ${hardened ? '-Server' : 'X-Powered-By "PHP/8.2.7"'}
  }
  respond / "${PAGE}" 200
  respond "not found" 404
}
`;
}

interface Started {
  baseUrl: string;
  child: ChildProcess;
  dir: string;
}

async function startNginx(hardened: boolean): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), 'golive-nginx-'));
  await mkdir(join(dir, 'tmp'), { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'nginx.conf');
  await writeFile(conf, nginxConf(dir, port, hardened));
  const child = captureStderr(spawn(NGINX, ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] }));
  await waitForPort(port, child);
  return { baseUrl: `http://127.0.0.1:${port}`, child, dir };
}

async function startCaddy(hardened: boolean): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), 'golive-caddy-'));
  const port = await freePort();
  const file = join(dir, 'Caddyfile');
  await writeFile(file, caddyfile(port, hardened));
  const child = captureStderr(
    spawn(CADDY, ['run', '--config', file, '--adapter', 'caddyfile'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH ?? '', HOME: dir, XDG_CONFIG_HOME: join(dir, 'config'), XDG_DATA_HOME: join(dir, 'data') },
    }),
  );
  await waitForPort(port, child);
  return { baseUrl: `http://127.0.0.1:${port}`, child, dir };
}

for (const [name, bin, start] of [
  ['nginx', NGINX, startNginx],
  ['caddy', CADDY, startCaddy],
] as const) {
  const present = existsSync(bin);
  const skip = !present && !CI ? `${bin} is not installed (set CI=true to make this a failure)` : false;
  describe(`security-headers against Debian ${name}`, { skip }, () => {
    let hardened: Started | undefined;
    let weak: Started | undefined;
    before(async () => {
      assert.ok(present, `${bin} is required when CI=true`);
      hardened = await start(true);
      weak = await start(false);
    });
    after(async () => {
      await stop(hardened?.child);
      await stop(weak?.child);
      for (const s of [hardened, weak]) if (s) await rm(s.dir, { recursive: true, force: true });
    });

    it('a hardened configuration scores A or better and passes', async () => {
      const t = await makeContext({ baseUrl: hardened?.baseUrl ?? '' });
      try {
        const out = await runCheck(securityHeadersCheck, t.ctx, { minGrade: 'A' });
        assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed), null, 1));
        assert.ok(['A+', 'A'].includes(String(out.data?.grade)), `grade ${out.data?.grade}`);
        assert.equal(out.data?.statusCode, 200);
        assert.equal(out.data?.cspPresent, true);
        assert.match(String(out.data?.csp), /object-src 'none'/);
        const paths = out.data?.paths as Array<{ label: string; grade: string }>;
        assert.equal(paths.find((p) => p.label === '404')?.grade, out.data?.grade, 'the 404 answer carries the same headers');
      } finally {
        await t.close();
      }
    });

    it('a weak configuration fails the gate naming the headers', async () => {
      const t = await makeContext({ baseUrl: weak?.baseUrl ?? '' });
      try {
        const out = await runCheck(securityHeadersCheck, t.ctx, {});
        assert.equal(failed(out), true);
        const found = codes(out);
        for (const c of ['GRADE_BELOW_MINIMUM', 'CSP_SCRIPT_UNSAFE_INLINE', 'CSP_SCRIPT_UNSAFE_EVAL', 'CLICKJACKING_UNPROTECTED']) assert.ok(found.includes(c), `${c} in ${found.join(', ')}`);
        const messages = out.observations.filter((o) => !o.passed).map((o) => o.message).join('\n');
        assert.match(messages, /content-security-policy: default-src \* 'unsafe-inline' 'unsafe-eval'/);
        assert.match(messages, /X-Frame-Options/);
        assert.match(messages, /X-Content-Type-Options/);
        assert.ok(found.includes(name === 'nginx' ? 'SERVER_VERSION_LEAK' : 'X_POWERED_BY_LEAK'), found.join(', '));
        if (name === 'nginx') {
          // add_header without `always` leaves error answers bare.
          assert.ok(out.observations.some((o) => !o.passed && o.name === 'csp-missing@404'));
        }
      } finally {
        await t.close();
      }
    });

    if (name === 'nginx') {
      it('exposure finds the served .env without printing its values', async () => {
        const t = await makeContext({ baseUrl: weak?.baseUrl ?? '' });
        try {
          const out = await runCheck(exposureCheck, t.ctx, {});
          assert.equal(failed(out), true);
          const exposed = out.observations.find((o) => o.name === 'exposed:/.env');
          assert.ok(exposed, JSON.stringify(out.observations));
          assert.match(exposed.message, /keys: APP_ENV, DB_PASSWORD/);
          assert.ok(!JSON.stringify(out).includes('n0t-a-real-secret-42'));
        } finally {
          await t.close();
        }
      });
      it('exposure passes on the hardened server', async () => {
        const t = await makeContext({ baseUrl: hardened?.baseUrl ?? '' });
        try {
          const out = await runCheck(exposureCheck, t.ctx, {});
          assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed)));
        } finally {
          await t.close();
        }
      });
    }
  });
}
