/** Option fields shared by the HTTP-based checks, so names, defaults and limits agree across kinds. */
import { z } from 'zod';
import { HEADER_VALUE_PROBLEM, isSendableHeaderValue } from '../../core/header-value.ts';
import { regexProblem } from '../../core/regex.ts';
import type { KindEnvVariable } from '../types.ts';

/** A header value: no CR, LF or NUL (core/header-value.ts); the message names the header, never the value. */
export const headerValueSchema = () => z.string().refine(isSendableHeaderValue, HEADER_VALUE_PROBLEM);

/** A header map as config gives it (`name → value`), each value checked by {@link headerValueSchema}. */
export const headerMapSchema = () => z.record(z.string(), headerValueSchema());

/** The seed's HEALTH_URL, which sets the `url` option of the kinds that request the health endpoint. */
export const HEALTH_URL_VARIABLE: KindEnvVariable = {
  names: ['GOLIVE_HEALTH_URL', 'HEALTH_URL'],
  option: 'url',
  description: 'the URL requested (overrides `path`)',
};

/**
 * Timeout of a check that makes `requests` sequential requests of `requestMs` each (plus `pauseMs` of pauses):
 * each request may use its whole timeout, so a 30 s S4_TIMEOUT is not cut by a kind's shorter default.
 */
export function sequentialTimeoutMs(defaultMs: number, requests: number, requestMs: number, pauseMs = 0): number {
  return Math.max(defaultMs, requests * requestMs + pauseMs + 2000);
}

/** Extra request headers (merged over the target's default headers). */
export const headersOption = () => headerMapSchema().default({}).describe('Extra request headers, merged over the target headers.');

/** Per-request timeout in ms. */
export const requestTimeoutOption = (defaultMs: number) =>
  z.number().int().positive().max(600_000).default(defaultMs).describe('Per-request timeout in ms (connect, headers and body).');

/** Response body cap in bytes: past it the connection is dropped, so a huge body costs bounded time and memory. */
export const maxBodyBytesOption = (defaultBytes: number) =>
  z
    .number()
    .int()
    .positive()
    .max(64 * 1024 * 1024)
    .default(defaultBytes)
    .describe('Response bytes read at most; a longer body is cut and reported.');

/** A path (`/health`) or absolute URL resolved against the target. */
export const pathOption = (defaultPath: string) =>
  z.string().min(1).default(defaultPath).describe('Path resolved against the target base URL (an absolute http(s) URL is used as is).');

/** An absolute http(s) URL that overrides `path`. */
export const urlOption = () =>
  z
    .string()
    .refine((s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    }, 'expected an absolute http(s) URL')
    .optional()
    .describe('Absolute http(s) URL; overrides `path` (e.g. the seed variable HEALTH_URL).');

/**
 * A regular expression given as text, matched in linear time (core/regex.ts). An invalid one, or one that needs
 * backtracking (backreferences, lookaround), fails config validation (exit 2 naming the field), not the run.
 */
export const regexSource = z.string().superRefine(refineRegex);

/** The refinement behind {@link regexSource}, for string schemas with their own constraints. */
export function refineRegex(s: string, ctx: z.RefinementCtx): void {
  const problem = regexProblem(s);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
}
