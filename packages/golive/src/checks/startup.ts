/**
 * `startup`: the seeds' startup validation ("the app fails to start without DATABASE_URL / SECRET_KEY"),
 * proven by starting the managed target's command once per case, beside the running target: with each required
 * variable removed and with each configured invalid value. Each case must exit non-zero within the time limit,
 * its output must name the variable, and no secret value of its environment may appear in its output. A
 * positive control comes first: the full environment must start and become ready, or nothing can be judged
 * (`error`). Every case gets its own base environment and a fresh temporary directory (`{tmpDir}` in values),
 * so no case collides with the running target or another case. Each case's output is an artifact (redacted).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { CheckError } from '../core/errors.ts';
import { isSecretEnv } from '../core/redact.ts';
import type { Observation } from '../core/result.ts';
import type { StartupCaseData, StartupData } from './startup.data.ts';
import { type CheckOutcome, defineCheck, observe, type TargetEnvChanges } from './types.ts';

const varName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name');

const options = z
  .object({
    env: z
      .record(varName, z.string())
      .default({})
      .describe('Base environment of every case, over the target\'s own (e.g. APP_ENV=production, PORT=0, a data directory "{tmpDir}/data").'),
    required: z.array(varName).default([]).describe('Variables the target must refuse to start without (each removed in its own case).'),
    invalid: z
      .array(z.object({ variable: varName, value: z.string() }).strict())
      .default([])
      .describe('Invalid values the target must refuse (a malformed DATABASE_URL, a weak secret).'),
    secrets: z.array(varName).default([]).describe('Variables whose values must never appear in the output (secret-looking ones are found by name and value anyway).'),
    timeoutMs: z.number().int().min(500).max(120_000).default(15_000).describe('Each case must exit (the control: become ready) within this.'),
    control: z.boolean().default(true).describe('Start the full environment first; it must become ready, or the drill cannot be judged.'),
    baseUrl: z.string().optional().describe('Ready URL of a case (default: the first URL the process prints, e.g. with PORT=0).'),
  })
  .strict()
  .refine((o) => o.required.length + o.invalid.length > 0, { message: 'give at least one required variable or invalid value', path: ['required'] });

/** Options of the `startup` check. */
export type StartupOptions = z.output<typeof options>;

/** Whether a text names a variable (as a word: `DATABASE_URL` in `DATABASE_URL: required`, any case). */
export function namesVariable(text: string, variable: string): boolean {
  const t = text.toUpperCase();
  const v = variable.toUpperCase();
  for (let i = t.indexOf(v); i >= 0; i = t.indexOf(v, i + 1)) {
    const before = i === 0 ? '' : (t[i - 1] as string);
    const after = t[i + v.length] ?? '';
    if (!/[A-Z0-9_]/.test(before) && !/[A-Z0-9_]/.test(after)) return true;
  }
  return false;
}

/** The `startup` check kind. */
export const startupCheck = defineCheck<typeof options, StartupData>({
  kind: 'startup',
  title: 'Startup validation drill',
  description: 'Starts the managed target once per case with a required variable removed or an invalid value: each must exit non-zero, name the variable and print no secret.',
  options,
  defaultTimeoutMs: 120_000,
  timeoutFor: (o) => (o.required.length + o.invalid.length + (o.control ? 1 : 0)) * (o.timeoutMs + 3000) + 10_000,
  metrics: { failedCases: { direction: 'lower', tolerance: 0 } },
  // It runs the service's command (beside the running target), which may touch what the base environment points at.
  mutates: true,
  present: ({ data }) =>
    data
      ? {
          tables: [
            {
              id: 'cases',
              title: 'Startup cases',
              columns: ['case', 'exit', 'names the variable', 'secrets printed', 'verdict'],
              rows: data.cases.map((c) => [c.case, c.exited ? String(c.exitCode) : c.ready ? 'ready' : 'still running', c.variable ? c.named : null, c.leaked.join(', '), c.verdict]),
            },
          ],
        }
      : {},
  async run(ctx, o): Promise<CheckOutcome<StartupData>> {
    const handle = ctx.managed;
    if (!handle) throw new CheckError('GOLIVE_ERR_CHECK_OPTIONS', 'startup needs a managed target (target.start): it starts the service command itself');
    const cases: StartupCaseData[] = [];
    const obs: Observation[] = [];
    // Secret values to look for: the declared ones, and any that look secret by name or shape.
    const secretValues = (env: Record<string, string | undefined>) =>
      Object.entries(env).filter(([k, v]) => v !== undefined && v.length >= 6 && (o.secrets.includes(k) || isSecretEnv(k, v))) as Array<[string, string]>;

    const runCase = async (name: string, variable: string | null, change: (env: Record<string, string | undefined>) => void): Promise<StartupCaseData> => {
      const dir = await mkdtemp(join(tmpdir(), 'golive-startup-'));
      try {
        const env: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(o.env)) env[k] = v.replaceAll('{tmpDir}', dir);
        change(env);
        const watch = Object.fromEntries(secretValues(env));
        for (const v of Object.values(watch)) ctx.redactor.add(v);
        const run = await handle.spawnVariant({ env: env as TargetEnvChanges, timeoutMs: o.timeoutMs, waitReady: variable === null, watch, ...(o.baseUrl ? { baseUrl: o.baseUrl } : {}) });
        // The handle looks for the values in the raw output and returns only names; what is kept is redacted.
        const leaked = run.printed;
        const log = await ctx.artifacts.write(`startup/${ctx.id}-${name.replace(/[^A-Za-z0-9_.-]+/g, '_')}.log`, ctx.redactor.redact(run.output));
        const exited = run.exit !== undefined;
        const exitCode = run.exit?.code ?? null;
        const named = variable === null ? false : namesVariable(run.output, variable);
        const ok = variable === null ? run.ready && leaked.length === 0 : exited && exitCode !== 0 && named && leaked.length === 0;
        return { case: name, variable, exitCode, exited, ready: run.ready, durationMs: run.durationMs, named, leaked, log, verdict: ok ? 'pass' : 'fail' };
      } finally {
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      }
    };

    if (o.control) {
      const c = await runCase('control', null, () => undefined);
      cases.push(c);
      if (!c.ready) {
        throw new CheckError(
          'GOLIVE_ERR_CHECK_OPTIONS',
          `the positive control did not start: with the full environment the target ${c.exited ? `exited ${c.exitCode}` : 'was not ready'} within ${o.timeoutMs} ms (see ${c.log}); nothing else can be judged`,
        );
      }
      if (c.leaked.length) {
        obs.push(observe('control-secrets', false, 'no secret value in the output', c.leaked.join(', '), { code: 'STARTUP_SECRET_PRINTED', message: `with the full environment the target printed the value of ${c.leaked.join(', ')} (see ${c.log})` }));
      }
    }
    const planned: Array<[string, string, (env: Record<string, string | undefined>) => void]> = [
      ...o.required.map((v): [string, string, (env: Record<string, string | undefined>) => void] => [
        `missing:${v}`,
        v,
        (env) => {
          env[v] = undefined;
        },
      ]),
      ...o.invalid.map((i): [string, string, (env: Record<string, string | undefined>) => void] => [
        `invalid:${i.variable}`,
        i.variable,
        (env) => {
          env[i.variable] = i.value;
        },
      ]),
    ];
    for (const [name, variable, change] of planned) {
      ctx.signal.throwIfAborted();
      const c = await runCase(name, variable, change);
      cases.push(c);
      ctx.progress({ fraction: cases.length / (planned.length + (o.control ? 1 : 0)), message: `${name}: ${c.verdict}` });
      const what = name.startsWith('missing:') ? `without ${variable}` : `with an invalid ${variable}`;
      if (!c.exited || c.exitCode === 0) {
        obs.push(
          observe(name, false, `exits non-zero ${what} within ${o.timeoutMs} ms`, c.exited ? `exit ${c.exitCode}` : 'still running', {
            code: c.exited ? 'STARTUP_EXIT_ZERO' : 'STARTUP_STARTED_ANYWAY',
            message: c.exited
              ? `${what} the target exited 0 (${c.durationMs} ms): a deploy would report success (see ${c.log})`
              : `${what} the target was still running after ${o.timeoutMs} ms: it starts without it (see ${c.log})`,
          }),
        );
      } else if (!c.named) {
        obs.push(observe(name, false, `its output names ${variable}`, 'not named', { code: 'STARTUP_VARIABLE_NOT_NAMED', message: `${what} the target exited ${c.exitCode} without naming ${variable} (see ${c.log})` }));
      } else {
        obs.push(observe(name, true, `exits non-zero ${what}, naming it`, `exit ${c.exitCode}`, { message: `${what}: exit ${c.exitCode} in ${c.durationMs} ms, ${variable} named` }));
      }
      if (c.leaked.length) {
        obs.push(observe(`${name}:secrets`, false, 'no secret value in the output', c.leaked.join(', '), { code: 'STARTUP_SECRET_PRINTED', message: `${what} the target printed the value of ${c.leaked.join(', ')} (see ${c.log})` }));
      }
    }
    const failedCases = cases.filter((c) => c.verdict === 'fail').length;
    return {
      observations: obs,
      metrics: { cases: cases.length, failedCases },
      data: { cases, timeoutMs: o.timeoutMs },
      artifacts: cases.map((c) => c.log).filter((x): x is string => x !== null),
      summary: failedCases === 0 ? `${cases.length} starts: each refusal named its variable, no secret printed` : undefined,
    };
  },
});
