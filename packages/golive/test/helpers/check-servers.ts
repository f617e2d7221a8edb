/**
 * Small real servers on 127.0.0.1 port 0 for tests, closed with every socket they opened, a pool that a test
 * file closes in its `after` hook, and a port that is known to refuse connections.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Server as NetServer, Socket } from 'node:net';
import { after } from 'node:test';

/** A server listening on loopback. */
export interface Listening {
  port: number;
  /** Destroys open sockets first, so a handler that never answers cannot hold the close. */
  close(): Promise<void>;
}

/** Makes `server` (http, https or net) listen on 127.0.0.1 port 0, tracking its sockets. */
export async function listenOnLoopback(server: NetServer): Promise<Listening> {
  const sockets = new Set<Socket>();
  // 'connection' carries the raw TCP socket for http and https servers alike: that is what to destroy.
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A started server. */
export interface TestServer {
  url: string;
  server: Server;
  /** Requests seen, in order (method and url). */
  seen: Array<{ method: string; url: string; headers: IncomingMessage['headers']; body: string }>;
  close(): Promise<void>;
}

/** Starts a server with a handler; the request body is read before the handler runs. */
export async function startServer(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<TestServer> {
  const seen: TestServer['seen'] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  const listening = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${listening.port}`, server, seen, close: listening.close };
}

/** Servers started by one test file; every one is closed by an `after` hook registered where this is called. */
export interface ServerPool {
  /** Starts an http server with `handler` (body read first, as {@link startServer}) and returns its base URL. */
  serve(handler: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<string>;
  /** Makes a server built by the test (https, raw net) listen on loopback and returns its port. */
  listen(server: NetServer): Promise<number>;
}

/**
 * Creates a pool and registers its `after` hook in the current scope (call it at module level or inside a
 * `describe`), so no test file keeps its own list of servers to close.
 */
export function serverPool(): ServerPool {
  const open: Array<() => Promise<void>> = [];
  after(async () => {
    await Promise.all(open.map((close) => close()));
  });
  return {
    async serve(handler) {
      const s = await startServer(handler);
      open.push(s.close);
      return s.url;
    },
    async listen(server) {
      const l = await listenOnLoopback(server);
      open.push(l.close);
      return l.port;
    },
  };
}

/** Sends a JSON body with a status. */
export function sendJson(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** A URL on a port that refuses connections (a server was bound there, then closed). */
export async function refusedUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}
