// Starting server.ts as a child process (the fault tests need real processes: kill -9, locks, signals).
import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';

/** Path of the server entry the child runs (type stripping, no build needed). */
export const SERVER = new URL('../src/server.ts', import.meta.url).pathname;

/** A spawned server.ts. */
export interface Spawned {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** A spawned server.ts that printed its listening line. */
export interface Running extends Spawned {
  url: string;
}

/** Spawns server.ts with exactly `env` (plus PATH). */
export function spawnServer(env: Record<string, string | undefined>): Spawned {
  const child = spawn(process.execPath, [SERVER], {
    env: { PATH: process.env.PATH, NODE_NO_WARNINGS: '1', ...env } as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Starts server.ts and waits for its `"msg":"listening"` line; kills it and throws otherwise. */
export async function startServer(env: Record<string, string | undefined>, timeoutMs = 30_000): Promise<Running> {
  const p = spawnServer(env);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const line = p
      .stdout()
      .split('\n')
      .find((l) => l.includes('"msg":"listening"'));
    if (line) return { ...p, url: (JSON.parse(line) as { url: string }).url };
    if (p.child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  p.child.kill('SIGKILL');
  throw new Error(`server did not start:\n${p.stdout()}\n${p.stderr()}`);
}

/** One HTTP request without keep-alive; rejects on a socket error or after `timeoutMs`. */
export function httpRequest(
  url: string,
  o: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: o.method ?? 'GET', headers: o.headers, agent: false }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        body += d.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.setTimeout(o.timeoutMs ?? 10_000, () => req.destroy(new Error('timeout')));
    req.end(o.body);
  });
}
