#!/usr/bin/env node
/**
 * The golive executable: the only place that sets the exit code. SIGINT/SIGTERM cancel the run (checks are
 * aborted, a managed target is stopped, reports are still written); a second signal exits at once.
 */
import { ExitCode } from '../core/exit-codes.ts';
import { Redactor } from '../core/redact.ts';
import { setHeapTuningDefault } from '../load/heap.ts';
import { runCli } from './cli.ts';

// This process is golive's own: load runs (`golive load`, load checks of a gate) may tune V8's heap here,
// which the library never does to a host that embeds it (docs/load.md, Memory).
setHeapTuningDefault(true);

const controller = new AbortController();
let signals = 0;
const onSignal = (signal: NodeJS.Signals) => {
  signals++;
  if (signals > 1) process.exit(130);
  process.stderr.write(`golive: ${signal} received, stopping (press again to exit now)\n`);
  controller.abort(new Error(`cancelled by ${signal}`));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const crash = (err: unknown) => {
  const trace = Redactor.fromEnv(process.env).redact(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.stderr.write(`golive: GOLIVE_ERR_INTERNAL: internal error (a bug in golive, please report it with this trace):\n${trace}\n`);
  process.exit(ExitCode.INTERNAL);
};
// `golive check ... | head` closes stdout early: that is the reader's choice, not a bug.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') crash(err);
  });
}
process.on('uncaughtException', crash);
process.on('unhandledRejection', crash);

process.exitCode = await runCli(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: { ...process.env },
  cwd: process.cwd(),
  signal: controller.signal,
});
process.off('SIGINT', onSignal);
process.off('SIGTERM', onSignal);
// A check that ignored its abort signal may still hold a socket or timer: the verdict is final, so do not wait.
setTimeout(() => process.exit(), 2000).unref();
