import { closeSync, openSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import net from 'node:net';
import { join, relative, resolve } from 'node:path';

/** Name of the lock socket inside a PGlite data directory. */
export const LOCK_SOCKET_NAME = '.pilot.lock';

/** Thrown when another live process holds the data directory; pilot must not open it too. */
export class DataDirLockedError extends Error {
  readonly code = 'PILOT_ERR_DATA_DIR_LOCKED';
  /** What the holder said about itself (pid, host, start time), when it answered. */
  readonly holder: HolderInfo | undefined;
  constructor(dataDir: string, holder: HolderInfo | undefined) {
    super(
      `PGlite data directory ${dataDir} is in use by ${holder ? `pid ${holder.pid} on ${holder.host} (since ${holder.since})` : 'another process'}: ` +
        'two processes on one directory lose acknowledged writes. Stop the other process first ' +
        '(a rolling restart on PGlite must stop the old instance before the new one starts).',
    );
    this.name = 'DataDirLockedError';
    this.holder = holder;
  }
}

/** What a lock holder tells a process that connects to its socket. */
export interface HolderInfo {
  pid: number;
  host: string;
  since: string;
}

/** A held lock; `release()` closes the socket (the kernel does it too when the process dies). */
export interface DataDirLock {
  readonly path: string;
  release(): Promise<void>;
}

// Longest path bind() accepts on Linux (sun_path is 108 bytes with its terminating NUL).
const MAX_SOCKET_PATH = 107;
// A takeover guard older than this was left by a process killed mid-takeover (which takes milliseconds).
const STALE_GUARD_MS = 10_000;

/**
 * Takes the exclusive lock of a PGlite data directory: a Unix socket bound at `<dir>/.pilot.lock`.
 * bind() is atomic, and the listening socket belongs to the process: when it dies, even by kill -9,
 * the kernel stops answering on it, so a left-over socket file is recognised as stale (connecting is
 * refused) and taken over. A live holder answers with its pid, which the error names.
 *
 * Taking over a stale socket (unlink, then bind) is serialised by a guard file created with O_EXCL,
 * and the socket is probed again under it: without the guard, two starters could each unlink the
 * other's fresh socket and both run.
 */
export async function lockDataDir(dataDir: string, o: { waitMs?: number } = {}): Promise<DataDirLock> {
  const absolute = resolve(dataDir, LOCK_SOCKET_NAME);
  const bindPath = socketPath(absolute);
  const guard = resolve(dataDir, `${LOCK_SOCKET_NAME}.takeover`);
  const info: HolderInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
  const deadline = Date.now() + (o.waitMs ?? 0);
  for (;;) {
    const server = await tryBind(bindPath, info);
    if (server) return held(server, absolute);
    const holder = await probe(bindPath);
    if (holder !== 'stale') {
      if (Date.now() < deadline) {
        await sleep(100);
        continue;
      }
      throw new DataDirLockedError(dataDir, holder === 'unknown' ? undefined : holder);
    }
    // Stale: take it over under the guard.
    if (!takeGuard(guard)) {
      await sleep(20);
      continue;
    }
    try {
      if ((await probe(bindPath)) === 'stale') {
        try {
          unlinkSync(absolute);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        }
      }
    } finally {
      try {
        unlinkSync(guard);
      } catch {
        // Removed as stale by another starter: harmless, the socket decides.
      }
    }
  }
}

function held(server: net.Server, path: string): DataDirLock {
  return {
    path,
    release: () =>
      new Promise<void>((done) => {
        // Closing a Unix socket server removes its file.
        server.close(() => done());
      }),
  };
}

/** The shortest path naming the socket: bind() refuses paths over 107 bytes, relative ones count. */
function socketPath(absolute: string): string {
  if (Buffer.byteLength(absolute) <= MAX_SOCKET_PATH) return absolute;
  const rel = relative(process.cwd(), absolute);
  if (Buffer.byteLength(rel) <= MAX_SOCKET_PATH) return rel;
  throw new Error(
    `PGlite data directory path too long for its lock socket (${absolute}): use a shorter PILOT_DATA_DIR`,
  );
}

function tryBind(path: string, info: HolderInfo): Promise<net.Server | undefined> {
  return new Promise((resolveBind, reject) => {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.end(`${JSON.stringify(info)}\n`);
    });
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') resolveBind(undefined);
      else reject(err);
    });
    server.listen(path, () => {
      // The lock must not keep the process alive on its own.
      server.unref();
      resolveBind(server);
    });
  });
}

/** Who answers on the socket: its holder, `unknown` (answered without a readable line), or `stale`. */
function probe(path: string): Promise<HolderInfo | 'unknown' | 'stale'> {
  return new Promise((done) => {
    const socket = net.connect(path);
    let data = '';
    let connected = false;
    const timer = setTimeout(() => socket.destroy(), 2_000);
    socket.on('connect', () => {
      connected = true;
    });
    socket.on('data', (d: Buffer) => {
      data += d.toString('utf8');
      if (data.length > 4096) socket.destroy();
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      if (!connected) return done('stale');
      try {
        const parsed = JSON.parse(data.split('\n', 1)[0] ?? '') as HolderInfo;
        done(typeof parsed.pid === 'number' ? parsed : 'unknown');
      } catch {
        done('unknown');
      }
    });
  });
}

function takeGuard(path: string): boolean {
  try {
    const fd = openSync(path, 'wx');
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    try {
      if (Date.now() - statSync(path).mtimeMs > STALE_GUARD_MS) unlinkSync(path);
    } catch {
      // Gone meanwhile: the next round retries.
    }
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Path of the lock socket of `dataDir` (for tools and tests). */
export function lockSocketPath(dataDir: string): string {
  return join(resolve(dataDir), LOCK_SOCKET_NAME);
}
