import { buildApp } from './app.ts';
import { parseConfig, SECRET_VARIABLES, sanitizeConfig } from './config.ts';
import { createLogger } from './logger.ts';
import type { AppState } from './types.ts';

/**
 * Process entry: validates the environment (exit 2 with the list of problems, values never
 * printed), builds the app, listens, and shuts down gracefully on SIGTERM/SIGINT:
 * readiness turns 503 at once, requests keep being served for DRAIN_DELAY_MS (load balancers
 * notice), then the server closes (in-flight requests finish), the database closes, exit 0.
 * Past SHUTDOWN_GRACE_MS, or at a second signal, the process exits at once with status 1.
 */
async function main(): Promise<void> {
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    const lines = parsed.issues.map((i) => `  - ${i.variable}: ${i.message}`);
    process.stderr.write(`pilot: invalid configuration, not starting:\n${lines.join('\n')}\n`);
    process.stderr.write(`(values are never printed; secrets: ${SECRET_VARIABLES.join(', ')})\n`);
    process.exitCode = 2;
    return;
  }
  const config = parsed.config;
  const log = createLogger(config.logLevel);
  // Lifecycle lines (configuration, listening, shutdown) are written even when LOG_LEVEL is above
  // info, so supervisors and tests can rely on them; LOG_LEVEL=silent silences them too.
  const lifecycle =
    config.logLevel === 'silent' || log.isLevelEnabled('info') ? log : createLogger('info');
  lifecycle.info({ config: sanitizeConfig(config) }, 'configuration');

  // A bug that escapes every handler: log it as one JSON line, then exit 70 (internal error)
  // rather than continue in an unknown state.
  const fatal = (kind: string) => (err: unknown) => {
    log.fatal({ err: err instanceof Error ? { message: err.message, stack: err.stack } : { value: String(err) } }, kind);
    process.exit(70);
  };
  process.on('uncaughtException', fatal('uncaught exception'));
  process.on('unhandledRejection', fatal('unhandled rejection'));

  const state: AppState = { shuttingDown: false, startedAt: Date.now() };
  let app: Awaited<ReturnType<typeof buildApp>>;
  try {
    app = await buildApp({ config, logger: log, state });
  } catch (err) {
    const e = err as Error & { code?: string };
    log.fatal({ err: { message: e.message, code: e.code } }, 'startup failed');
    process.exitCode = 1;
    return;
  }

  let signals = 0;
  const shutdown = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      log.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    state.shuttingDown = true;
    lifecycle.info({ signal, drainDelayMs: config.drainDelayMs, shutdownGraceMs: config.shutdownGraceMs }, 'shutting down');
    const grace = setTimeout(() => {
      log.error({ shutdownGraceMs: config.shutdownGraceMs }, 'grace period over: exiting with work in flight');
      process.exit(1);
    }, config.shutdownGraceMs);
    grace.unref();
    setTimeout(() => {
      app
        .close()
        .then(() => {
          lifecycle.info('closed');
          clearTimeout(grace);
          process.exitCode = 0;
        })
        .catch((err: Error) => {
          log.error({ err: { message: err.message } }, 'close failed');
          process.exit(1);
        });
    }, config.drainDelayMs);
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);

  try {
    await app.listen({ port: config.port, host: config.host });
  } catch (err) {
    log.fatal({ err: { message: (err as Error).message } }, 'listen failed');
    await app.close().catch(() => {});
    process.exitCode = 1;
    return;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  lifecycle.info({ url: `http://${host}:${port}`, port }, 'listening');
}

main().catch((err: Error) => {
  process.stderr.write(`pilot: fatal: ${err.message}\n`);
  process.exitCode = 70;
});
