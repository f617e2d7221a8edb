/** pilot as a real process for golive's tests: started on port 0 in a temporary data directory, stopped after. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** pilot's server entry (TypeScript, run by Node directly). */
export const PILOT_SERVER = new URL('../../../pilot/src/server.ts', import.meta.url).pathname;

/** A running pilot. */
export interface RunningPilot {
  baseUrl: string;
  dir: string;
  /** SIGTERM, SIGKILL after 10 s, then the data directory removed. */
  stop(): Promise<void>;
}

/** Starts pilot with `env` over a minimal environment and resolves when it logs the URL it listens on. */
export async function startPilot(env: Record<string, string> = {}): Promise<RunningPilot> {
  const dir = await mkdtemp(join(tmpdir(), 'golive-pilot-'));
  const child: ChildProcess = spawn(process.execPath, [PILOT_SERVER], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? '', PORT: '0', HOST: '127.0.0.1', PILOT_DATA_DIR: join(dir, 'data'), NODE_NO_WARNINGS: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr?.on('data', (b: Buffer) => {
    err = (err + b.toString()).slice(-2000);
  });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    const baseUrl = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`pilot did not listen within 30 s: ${err}`)), 30_000);
      let out = '';
      child.stdout?.on('data', (b: Buffer) => {
        out += b.toString();
        for (const line of out.split('\n')) {
          try {
            const j = JSON.parse(line) as { msg?: string; url?: string };
            if (j.msg === 'listening' && j.url) {
              clearTimeout(timer);
              resolve(j.url);
            }
          } catch {
            // not a JSON log line (yet)
          }
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`pilot exited with ${code}: ${err}`));
      });
    });
    return { baseUrl, dir, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
