/**
 * The command line's TLS trust flags, shared by the gate commands and `golive load` (kept apart from gate.ts so
 * `golive load` does not load the runner and the check registry at start).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { UsageError } from '../core/errors.ts';

/** `--ca FILE` (read now: a missing file is a usage error) and `--insecure`, as target TLS settings. */
export function tlsFlags(flags: { ca?: string | undefined; insecure?: boolean | undefined }, cwd: string): { ca?: string; rejectUnauthorized?: boolean } | undefined {
  const out: { ca?: string; rejectUnauthorized?: boolean } = {};
  if (flags.ca !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(resolve(cwd, flags.ca), 'utf8');
    } catch (err) {
      throw new UsageError(`--ca: cannot read ${flags.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca: ${flags.ca} holds no PEM certificate`);
    out.ca = pem;
  }
  if (flags.insecure) out.rejectUnauthorized = false;
  return Object.keys(out).length > 0 ? out : undefined;
}

/** The warning printed whenever the target's certificates are not verified. */
export const INSECURE_WARNING =
  'golive: WARNING: TLS certificates of the target are NOT verified (--insecure or target.tls.rejectUnauthorized: false): anyone on the path can answer for it. Use --ca FILE for a private CA instead.';

