/** Helpers of the CLI tests: spawn the built binary, small servers on port 0, stack-trace detection. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import { join } from 'node:path';
import { listenOnLoopback } from '../helpers/check-servers.ts';

/** Repository root. */
export const ROOT = new URL('../../../../', import.meta.url).pathname;
/** The launcher users run. */
export const BIN = join(ROOT, 'packages/golive/bin/golive.js');

/** Fails early with a clear message when the CLI was not built. */
export function assertBuilt(): void {
  assert.ok(existsSync(join(ROOT, 'packages/golive/dist/cli/main.js')), 'build first: ./node_modules/.bin/tsc -b packages/golive');
}

/** Outcome of one CLI run. */
export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Options of {@link runProcess}. */
export interface RunProcessOptions {
  /** The whole environment of the child (nothing is inherited). */
  env: Record<string, string | undefined>;
  cwd?: string;
  /** SIGKILL after this long (default 60 s), so a hung child cannot hang the test run. */
  killAfterMs?: number;
}

/** Spawns a process with no stdin, collects stdout and stderr, and resolves when it has exited and closed its pipes. */
export function runProcess(command: string, args: string[], options: RunProcessOptions): Promise<CliRun> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd ?? ROOT, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
    });
    const killer = setTimeout(() => child.kill('SIGKILL'), options.killAfterMs ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(killer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, stdout, stderr, durationMs: Date.now() - started });
    });
  });
}

/** Runs the built CLI on this Node with a clean environment (PATH and HOME only, plus `env`). */
export function golive(args: string[], options: { env?: Record<string, string>; cwd?: string; killAfterMs?: number } = {}): Promise<CliRun> {
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', NO_COLOR: '1', ...options.env };
  return runProcess(process.execPath, [BIN, ...args], { env, ...(options.cwd ? { cwd: options.cwd } : {}), ...(options.killAfterMs ? { killAfterMs: options.killAfterMs } : {}) });
}

/** Asserts that no JavaScript stack trace reached the user. */
export function assertNoStack(text: string, label = 'stderr'): void {
  assert.doesNotMatch(text, /\n\s+at .+(:\d+:\d+\)?|\(node:)/, `${label} has a stack trace:\n${text}`);
  assert.doesNotMatch(text, /GOLIVE_ERR_INTERNAL/, `${label} reports an internal error:\n${text}`);
}

/** A server on 127.0.0.1:0. */
export interface TestServer {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts a server whose handler sees the request as it arrives (body unread, unlike the check tests'
 * `startServer`); `close` also destroys open sockets so hanging handlers cannot block the test.
 */
export async function serve(handler: http.RequestListener): Promise<TestServer> {
  const { port, close } = await listenOnLoopback(http.createServer(handler));
  return { url: `http://127.0.0.1:${port}`, close };
}

/** Headers of a well-configured page (grade A on the Observatory-compatible scale over plain http). */
export const GOOD_HEADERS: Record<string, string> = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'; object-src 'none'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

/** A service that passes every seed check: JSON health, CSP and hardening headers on every answer. */
export function healthyHandler(overrides: Partial<Record<string, http.RequestListener>> = {}, options: { securityHeaders?: boolean } = {}): http.RequestListener {
  return (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const custom = overrides[`${req.method} ${path}`] ?? overrides[path];
    if (custom) return custom(req, res);
    if (options.securityHeaders !== false) for (const [k, v] of Object.entries(GOOD_HEADERS)) res.setHeader(k, v);
    req.resume();
    if (path === '/health') {
      res.setHeader('content-type', 'application/json');
      return res.end('{"status":"ok"}');
    }
    if (path === '/api/stripe/webhook' && req.method === 'POST') {
      res.statusCode = req.headers['stripe-signature'] ? 200 : 400;
      res.setHeader('content-type', 'application/json');
      return res.end(res.statusCode === 400 ? '{"error":"missing signature"}' : '{"received":true}');
    }
    if (path === '/' || path.startsWith('/api/')) {
      res.setHeader('content-type', path === '/' ? 'text/html' : 'application/json');
      return res.end(path === '/' ? '<!doctype html><title>ok</title>' : '{"ok":true}');
    }
    res.statusCode = 404;
    res.setHeader('content-type', 'application/json');
    res.end('{"error":"not found"}');
  };
}
