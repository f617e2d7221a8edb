/** Option fields shared by the HTTP-based checks, so names, defaults and limits agree across kinds. */
import { z } from 'zod';
import { regexProblem } from '../../core/regex.ts';

/**
 * A header value: no CR, LF or NUL. A secret read from a file with its trailing newline would otherwise make the
 * request itself invalid, and the failure would be blamed on the target; the message names the header (the path)
 * and never echoes the value, which is usually a credential.
 */
export const headerValueSchema = () =>
  z.string().refine((v) => !/[\r\n\0]/.test(v), 'header value contains a line break (CR or LF) or NUL; trim it (a secret read with its trailing newline?); the value is not shown');

/** A header map as config gives it (`name → value`), each value checked by {@link headerValueSchema}. */
export const headerMapSchema = () => z.record(z.string(), headerValueSchema());

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
