/**
 * `command`: runs an external command as a check (the seeds' feature packs, e.g. a Playwright suite).
 * The child gets the run's environment plus the target's base URL (GOLIVE_BASE_URL and the seeds'
 * PROD_URL / OI_BASE_URL), runs in its own process group so a timeout or an abort stops everything it
 * started (SIGTERM, then SIGKILL after a grace period), and its stdout/stderr are kept head and tail within
 * a cap, redacted and saved as artifacts. It passes on the expected exit code; a declared JUnit XML file is
 * parsed and its counts and failing test names become metrics and evidence.
 */
import { spawn } from 'node:child_process';
import { readFile, stat } from 'node:fs/promises';
import { resolve as resolvePath } from 'node:path';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import type { Json, Observation } from '../core/result.ts';
import { excerpt, isSecretEnv } from '../core/redact.ts';
import { type CheckContext, type CheckOutcome, defineCheck, observe } from './types.ts';

const exitCodes = z.union([z.number().int().min(0).max(255), z.array(z.number().int().min(0).max(255)).min(1)]);

const options = z
  .object({
    command: z
      .union([z.string().min(1), z.array(z.string().min(1)).min(1)])
      .describe('A string run through /bin/sh -c, or an argv array run without a shell.'),
    cwd: z.string().min(1).optional().describe('Working directory (default: the current directory).'),
    env: z.record(z.string(), z.string()).default({}).describe('Extra environment variables for the command (win over everything else).'),
    inheritEnv: z.boolean().default(true).describe("Pass the run's environment to the command (false: only PATH, HOME and the base-URL variables)."),
    timeoutMs: z.number().int().positive().optional().describe("Stop the command after this long and fail (keep it under the check's timeout to keep the output)."),
    killGraceMs: z.number().int().min(0).max(60_000).default(5000).describe('Wait between SIGTERM and SIGKILL when stopping the command.'),
    expectExitCode: exitCodes.default(0).describe('Exit code(s) that count as a pass.'),
    junit: z.string().min(1).optional().describe('Path (relative to cwd) of a JUnit XML file the command writes; its counts go in the result.'),
    maxOutputBytes: z
      .number()
      .int()
      .min(1024)
      .max(64 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Bytes of stdout and of stderr kept (head and tail) and saved as artifacts.'),
  })
  .strict();

/** Options of the `command` check. */
export type CommandOptions = z.output<typeof options>;

/** Keeps the first and last half of a stream within a byte cap. */
export class OutputCapture {
  readonly #half: number;
  #head: Buffer[] = [];
  #headBytes = 0;
  #tail: Buffer[] = [];
  #tailBytes = 0;
  /** Bytes seen in total. */
  total = 0;
  constructor(maxBytes: number) {
    this.#half = Math.floor(maxBytes / 2);
  }
  /** Adds a chunk. */
  push(chunk: Buffer): void {
    this.total += chunk.length;
    let rest = chunk;
    if (this.#headBytes < this.#half) {
      const take = rest.subarray(0, this.#half - this.#headBytes);
      this.#head.push(take);
      this.#headBytes += take.length;
      rest = rest.subarray(take.length);
    }
    if (rest.length === 0) return;
    this.#tail.push(rest);
    this.#tailBytes += rest.length;
    while (this.#tailBytes > this.#half && this.#tail.length > 0) {
      const first = this.#tail[0] as Buffer;
      const over = this.#tailBytes - this.#half;
      if (first.length <= over) {
        this.#tail.shift();
        this.#tailBytes -= first.length;
      } else {
        this.#tail[0] = first.subarray(over);
        this.#tailBytes -= over;
      }
    }
  }
  /** Whether bytes were dropped. */
  get truncated(): boolean {
    return this.total > this.#headBytes + this.#tailBytes;
  }
  /** The kept text, with a marker where bytes were dropped. */
  text(): string {
    const head = Buffer.concat(this.#head).toString('utf8');
    const tail = Buffer.concat(this.#tail).toString('utf8');
    if (!this.truncated) return head + tail;
    return `${head}\n[… ${this.total - this.#headBytes - this.#tailBytes} bytes omitted …]\n${tail}`;
  }
  /** The last bytes kept, as text (for evidence). */
  lastText(): string {
    return Buffer.concat(this.#tailBytes > 0 ? this.#tail : this.#head).toString('utf8');
  }
}

/** Test counts of a JUnit XML report. */
export interface JunitSummary {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
  /** Failing or erroring tests: `classname › name: first line of the message`. */
  failed: string[];
}

type Node = Record<string, unknown>;
const asArray = (v: unknown): Node[] => (Array.isArray(v) ? (v as Node[]) : v && typeof v === 'object' ? [v as Node] : []);
const num = (v: unknown): number => {
  const n = Number(v);
  return Number.isFinite(n) && n >= 0 ? n : 0;
};

/**
 * Parses a JUnit XML report (Playwright, Jest, pytest, Surefire shapes). Counts come from the test cases
 * when there are any, since tools disagree on the suite attributes; from the attributes otherwise.
 */
export function parseJunit(xml: string): JunitSummary {
  const valid = XMLValidator.validate(xml);
  if (valid !== true) throw new SyntaxError(`not well-formed XML (line ${valid.err.line}: ${valid.err.msg})`);
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    isArray: (name) => ['testsuite', 'testcase', 'failure', 'error', 'skipped'].includes(name),
  });
  const doc = parser.parse(xml) as Node;
  const roots = [...asArray(doc.testsuites), ...asArray(doc.testsuite)];
  if (roots.length === 0) throw new SyntaxError('no <testsuites> or <testsuite> element');
  const out: JunitSummary = { tests: 0, failures: 0, errors: 0, skipped: 0, failed: [] };
  let cases = 0;
  // An explicit stack rather than recursion: a suite's XML decides how deeply suites nest.
  const pending: Node[] = [...roots].reverse();
  while (pending.length > 0) {
    const suite = pending.pop() as Node;
    for (const tc of asArray(suite.testcase)) {
      cases++;
      // A text-only element parses as a string (`<failure>boom</failure>`), an empty one as ''.
      const bad: unknown = tc.failure !== undefined ? (tc.failure as unknown[])[0] : tc.error !== undefined ? (tc.error as unknown[])[0] : undefined;
      if (tc.failure !== undefined) out.failures++;
      else if (tc.error !== undefined) out.errors++;
      else if (tc.skipped !== undefined) out.skipped++;
      if (tc.failure !== undefined || tc.error !== undefined) {
        const name = `${tc.classname ? `${String(tc.classname)} › ` : ''}${String(tc.name ?? '(unnamed)')}`;
        const b = bad && typeof bad === 'object' ? (bad as Node) : undefined;
        const raw = b ? (b.message ?? b['#text'] ?? '') : (bad ?? '');
        const msg = String(raw).split('\n')[0]?.trim() ?? '';
        out.failed.push(msg ? `${name}: ${excerpt(msg, 160)}` : name);
      }
    }
    pending.push(...[...asArray(suite.testsuite)].reverse());
  }
  if (cases > 0) {
    out.tests = cases;
    return out;
  }
  // No test cases listed: fall back on the totals the tool wrote as attributes.
  const add = (n: Node) => {
    out.tests += num(n.tests);
    out.failures += num(n.failures);
    out.errors += num(n.errors);
    out.skipped += num(n.skipped ?? n.skip);
  };
  for (const r of roots) {
    if (r.tests !== undefined) add(r);
    else asArray(r.testsuite).forEach(add);
  }
  return out;
}

/** How the process ended. */
interface ProcessEnd {
  exitCode: number | null;
  signal: string | null;
  spawnError?: { code: string; message: string };
  timedOut: boolean;
  aborted: boolean;
  durationMs: number;
}

function displayCommand(cmd: string | string[]): string {
  return typeof cmd === 'string' ? cmd : cmd.map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : JSON.stringify(a))).join(' ');
}

function baseUrlText(u: URL): string {
  return u.pathname === '/' && !u.search ? u.origin : u.href;
}

async function runProcess(
  ctx: CheckContext,
  opts: CommandOptions,
  cwd: string | undefined,
  env: Record<string, string>,
  out: OutputCapture,
  err: OutputCapture,
): Promise<ProcessEnd> {
  const started = ctx.clock.monoUs();
  const [file, args] = typeof opts.command === 'string' ? ['/bin/sh', ['-c', opts.command]] : [opts.command[0] as string, opts.command.slice(1)];
  return new Promise<ProcessEnd>((resolve) => {
    let timedOut = false;
    let aborted = false;
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const child = spawn(file, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const done = (end: Omit<ProcessEnd, 'durationMs' | 'timedOut' | 'aborted'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(killTimer);
      clearTimeout(drainTimer);
      ctx.signal.removeEventListener('abort', onAbort);
      resolve({ ...end, timedOut, aborted, durationMs: Math.round((ctx.clock.monoUs() - started) / 1000) });
    };
    const killGroup = (sig: NodeJS.Signals) => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, sig);
      } catch {
        // the group is already gone
      }
    };
    const stop = () => {
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), opts.killGraceMs);
    };
    const onAbort = () => {
      aborted = true;
      stop();
    };
    const onTimeout = () => {
      timedOut = true;
      stop();
    };
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(onTimeout, opts.timeoutMs);
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (child.pid === undefined) done({ exitCode: null, signal: null, spawnError: { code: e.code ?? 'ERROR', message: e.message } });
    });
    child.on('exit', (code, signal) => {
      // A grandchild may keep the pipes open after the command itself ended: give it a moment, then stop it.
      drainTimer = setTimeout(() => {
        killGroup('SIGKILL');
        child.stdout.destroy();
        child.stderr.destroy();
        done({ exitCode: code, signal });
      }, 2000);
    });
    child.on('close', (code, signal) => done({ exitCode: code, signal }));
  });
}

/** The `command` check kind. */
export const commandCheck = defineCheck({
  kind: 'command',
  title: 'External command',
  description: 'Runs a command (e.g. an end-to-end suite) with the target URL in its environment; passes on the expected exit code; reads its JUnit XML.',
  options,
  defaultTimeoutMs: 10 * 60_000,
  metrics: { failures: { direction: 'lower', tolerance: 0 }, durationMs: { direction: 'lower', tolerance: 0.5, unit: 'ms' } },
  async run(ctx, opts): Promise<CheckOutcome> {
    ctx.signal.throwIfAborted();
    const cwd = opts.cwd === undefined ? undefined : resolvePath(opts.cwd);
    if (cwd !== undefined) {
      const s = await stat(cwd).catch(() => undefined);
      if (!s?.isDirectory()) throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', `command: working directory ${cwd} does not exist`);
    }
    const baseUrl = baseUrlText(ctx.target.baseUrl);
    const env: Record<string, string> = {};
    const inherited = opts.inheritEnv ? Object.entries(ctx.env) : Object.entries(ctx.env).filter(([k]) => k === 'PATH' || k === 'HOME');
    for (const [k, v] of inherited) if (v !== undefined) env[k] = v;
    Object.assign(env, { GOLIVE_BASE_URL: baseUrl, PROD_URL: baseUrl, OI_BASE_URL: baseUrl }, opts.env);
    // Secrets given only in the check's own env are redacted too.
    const localSecrets = Object.entries(opts.env)
      .filter(([k, v]) => isSecretEnv(k, v) && v.length >= 6)
      .map(([, v]) => v);
    const redact = (s: string) => localSecrets.reduce((acc, v) => acc.split(v).join('[REDACTED]'), ctx.redactor.redact(s));

    const junitPath = opts.junit === undefined ? undefined : resolvePath(cwd ?? '.', opts.junit);
    const startedAtMs = ctx.clock.now();
    const stdout = new OutputCapture(opts.maxOutputBytes);
    const stderr = new OutputCapture(opts.maxOutputBytes);
    const end = await runProcess(ctx, opts, cwd, env, stdout, stderr);
    if (end.aborted) ctx.signal.throwIfAborted();

    const shown = redact(displayCommand(opts.command));
    const obs: Observation[] = [];
    const artifacts: string[] = [];
    const safeId = ctx.id.replace(/[^A-Za-z0-9._-]/g, '_');
    let stdoutPath: string | null = null;
    let stderrPath: string | null = null;
    try {
      stdoutPath = await ctx.artifacts.write(`${safeId}/stdout.txt`, redact(stdout.text()));
      stderrPath = await ctx.artifacts.write(`${safeId}/stderr.txt`, redact(stderr.text()));
      artifacts.push(stdoutPath, stderrPath);
    } catch (e) {
      obs.push(observe('artifacts', false, 'stdout and stderr saved', 'write failed', { severity: 'warn', code: 'COMMAND_ARTIFACT_WRITE', message: `could not save the command output: ${redact(String((e as Error).message ?? e))}` }));
    }
    const tailOf = (c: OutputCapture) => excerpt(redact(c.lastText().split('\n').slice(-15).join('\n')), 400);
    const outputTail = stderr.total > 0 ? `stderr: ${tailOf(stderr)}` : stdout.total > 0 ? `stdout: ${tailOf(stdout)}` : 'no output';

    const expected = Array.isArray(opts.expectExitCode) ? opts.expectExitCode : [opts.expectExitCode];
    const expectedText = `exit ${expected.join('|')}`;
    const shellMode = typeof opts.command === 'string';
    if (end.spawnError) {
      const notFound = end.spawnError.code === 'ENOENT';
      obs.push(
        observe('exit-code', false, expectedText, notFound ? 'executable not found' : `could not start (${end.spawnError.code})`, {
          code: notFound ? 'COMMAND_NOT_FOUND' : end.spawnError.code === 'EACCES' ? 'COMMAND_NOT_EXECUTABLE' : 'COMMAND_SPAWN',
          message: `${shown}: ${notFound ? 'executable not found' : 'could not be started'} (${end.spawnError.code}: ${redact(end.spawnError.message)})`,
        }),
      );
    } else if (end.timedOut) {
      obs.push(
        observe('exit-code', false, `${expectedText} within ${opts.timeoutMs} ms`, `stopped after ${end.durationMs} ms`, {
          code: 'COMMAND_TIMEOUT',
          message: `${shown} did not finish within ${opts.timeoutMs} ms and was stopped (${end.signal ?? 'SIGTERM'}); ${outputTail}`,
        }),
      );
    } else {
      const ok = end.exitCode !== null && expected.includes(end.exitCode);
      const actual = end.exitCode === null ? `killed by ${end.signal}` : `exit ${end.exitCode}`;
      let code = 'COMMAND_EXIT_CODE';
      if (shellMode && end.exitCode === 127) code = 'COMMAND_NOT_FOUND';
      else if (shellMode && end.exitCode === 126) code = 'COMMAND_NOT_EXECUTABLE';
      obs.push(observe('exit-code', ok, expectedText, actual, { code, message: ok ? `${shown}: ${actual}` : `${shown} ended with ${actual}, expected ${expectedText}; ${outputTail}` }));
    }

    let junit: JunitSummary | null = null;
    if (junitPath !== undefined && !end.spawnError) {
      const shownPath = redact(opts.junit ?? junitPath);
      const s = await stat(junitPath).catch(() => undefined);
      if (!s?.isFile()) {
        obs.push(observe('junit', false, `a JUnit report at ${shownPath}`, 'missing', { code: 'COMMAND_JUNIT_MISSING', message: `the command wrote no JUnit report at ${shownPath}; ${outputTail}` }));
      } else if (s.mtimeMs < startedAtMs - 2000) {
        obs.push(observe('junit', false, `a JUnit report written by this run`, 'an older file', { code: 'COMMAND_JUNIT_STALE', message: `${shownPath} predates this run (left from an earlier one); its counts are not used` }));
      } else if (s.size > 64 * 1024 * 1024) {
        obs.push(observe('junit', false, 'a JUnit report under 64 MiB', `${s.size} bytes`, { code: 'COMMAND_JUNIT_INVALID', message: `${shownPath} is ${s.size} bytes, too large to read` }));
      } else {
        const xml = await readFile(junitPath, 'utf8');
        try {
          junit = parseJunit(xml);
          junit.failed = junit.failed.map(redact);
          artifacts.push(await ctx.artifacts.write(`${safeId}/junit.xml`, redact(xml)).catch(() => ''));
          const bad = junit.failures + junit.errors;
          obs.push(
            observe('junit', bad === 0, '0 failures, 0 errors', `${junit.tests} tests, ${junit.failures} failures, ${junit.errors} errors, ${junit.skipped} skipped`, {
              code: 'COMMAND_JUNIT_FAILURES',
              message:
                bad === 0
                  ? `${junit.tests} tests passed (${junit.skipped} skipped)`
                  : `${bad} of ${junit.tests} tests failed: ${junit.failed.slice(0, 10).join('; ')}${junit.failed.length > 10 ? `; … ${junit.failed.length - 10} more` : ''}`,
            }),
          );
          if (junit.tests === 0) obs.push(observe('junit-tests', false, 'at least one test', '0 tests', { severity: 'warn', code: 'COMMAND_JUNIT_EMPTY', message: `${shownPath} reports no tests` }));
        } catch (e) {
          obs.push(observe('junit', false, 'a JUnit XML report', 'unreadable', { code: 'COMMAND_JUNIT_INVALID', message: `${shownPath} is not a JUnit report: ${redact(String((e as Error).message))}` }));
        }
      }
    }

    const data: Record<string, Json> = {
      command: shown,
      cwd: cwd === undefined ? null : redact(cwd),
      exitCode: end.exitCode,
      signal: end.signal,
      timedOut: end.timedOut,
      durationMs: end.durationMs,
      stdoutPath,
      stderrPath,
      stdoutBytes: stdout.total,
      stderrBytes: stderr.total,
      junit: junit === null ? null : { tests: junit.tests, failures: junit.failures, errors: junit.errors, skipped: junit.skipped, failed: junit.failed.slice(0, 100) },
    };
    const metrics: Record<string, number | string | boolean | null> = { exitCode: end.exitCode, durationMs: end.durationMs };
    if (junit) Object.assign(metrics, { tests: junit.tests, failures: junit.failures, errors: junit.errors, skipped: junit.skipped });
    return {
      observations: obs,
      metrics,
      data,
      artifacts: artifacts.filter(Boolean),
      summary: end.spawnError
        ? `not started (${end.spawnError.code})`
        : `${end.timedOut ? 'timed out' : end.exitCode === null ? `killed by ${end.signal}` : `exit ${end.exitCode}`} in ${end.durationMs} ms${junit ? `, ${junit.tests} tests, ${junit.failures + junit.errors} failed` : ''}`,
    };
  },
});
