// A TCP proxy a test can break: in front of a shared service (the machine's PostgreSQL or Redis),
// so faults are simulated without stopping or pausing the service other tests and people use.
import net from 'node:net';

/** How the proxy treats traffic. */
export type ProxyMode =
  /** Forward both ways. */
  | 'pass'
  /** Accept and keep every connection open but forward nothing: a frozen (SIGSTOP) or partitioned peer. */
  | 'freeze'
  /** Reset every connection, existing and new: a peer that is down. */
  | 'down';

/** A running proxy on 127.0.0.1, port 0. */
export interface FaultProxy {
  readonly port: number;
  readonly mode: ProxyMode;
  setMode(mode: ProxyMode): void;
  close(): Promise<void>;
}

/** Starts a proxy to `target` on a free port. */
export async function startFaultProxy(target: { host?: string; port: number }): Promise<FaultProxy> {
  let mode: ProxyMode = 'pass';
  const pairs = new Set<{ client: net.Socket; upstream: net.Socket | undefined }>();

  const connectUpstream = (pair: { client: net.Socket; upstream: net.Socket | undefined }) => {
    const upstream = net.connect({ host: target.host ?? '127.0.0.1', port: target.port });
    pair.upstream = upstream;
    upstream.on('error', () => pair.client.destroy());
    upstream.on('close', () => pair.client.destroy());
    pair.client.pipe(upstream);
    upstream.pipe(pair.client);
  };

  const server = net.createServer((client) => {
    const pair = { client, upstream: undefined as net.Socket | undefined };
    client.on('error', () => {});
    if (mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    pairs.add(pair);
    client.on('close', () => {
      pairs.delete(pair);
      pair.upstream?.destroy();
    });
    // Frozen: the connection is accepted (as the kernel of a stopped server does) but goes nowhere.
    if (mode === 'freeze') client.pause();
    else connectUpstream(pair);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;

  return {
    port,
    get mode() {
      return mode;
    },
    setMode(next: ProxyMode) {
      mode = next;
      for (const pair of pairs) {
        if (next === 'down') {
          pair.client.resetAndDestroy();
          pair.upstream?.destroy();
        } else if (next === 'freeze') {
          // Nothing is read, so nothing is forwarded; bytes wait in the kernel as they would for a
          // stopped process.
          pair.client.unpipe();
          pair.upstream?.unpipe();
          pair.client.pause();
          pair.upstream?.pause();
        } else if (!pair.upstream) {
          connectUpstream(pair);
        } else {
          pair.client.pipe(pair.upstream);
          pair.upstream.pipe(pair.client);
        }
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const pair of pairs) {
          pair.client.destroy();
          pair.upstream?.destroy();
        }
        server.close(() => resolve());
      }),
  };
}
