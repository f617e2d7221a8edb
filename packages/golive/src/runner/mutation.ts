/**
 * The safety rule of checks that change the target's state on purpose (contract probes, mutating load): they
 * run without an opt-in only against a target golive started itself or one on a loopback or private address;
 * elsewhere they need `allowMutation: true` in the config or `--allow-mutation`; and never when the run says
 * the target is live production (`EXPECT_LIVE=1`). Which checks mutate is each kind's declaration.
 */
import { isIP } from 'node:net';

/** Whether a host name is loopback (127.0.0.0/8, ::1, localhost) or in a private range (RFC 1918, fc00::/7). */
export function isLoopbackOrPrivate(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  const v = isIP(h);
  if (v === 4) {
    const [a, b] = h.split('.').map(Number) as [number, number];
    return a === 127 || a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
  }
  if (v === 6) {
    if (h === '::1') return true;
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(h);
    if (mapped?.[1]) return isLoopbackOrPrivate(mapped[1]);
    return /^f[cd][0-9a-f]{2}:/.test(h);
  }
  return false;
}

/** What the rule needs to know about the run. */
export interface MutationContext {
  /** The target's base URL (undefined before a managed target printed one). */
  baseUrl: string | undefined;
  managed: boolean;
  allowMutation: boolean;
  /** The run's environment (EXPECT_LIVE / GOLIVE_EXPECT_LIVE). */
  env: Readonly<Record<string, string | undefined>>;
}

/** Why a mutating check must not run against this target, or undefined when it may. */
export function mutationRefusal(ctx: MutationContext): string | undefined {
  const live = (ctx.env.GOLIVE_EXPECT_LIVE ?? ctx.env.EXPECT_LIVE)?.trim() === '1';
  if (live) return 'EXPECT_LIVE=1 says the target is live production: checks that change its state are not run there';
  if (ctx.managed || ctx.allowMutation) return undefined;
  let host = '';
  try {
    host = ctx.baseUrl ? new URL(ctx.baseUrl).hostname : '';
  } catch {
    host = '';
  }
  if (host && isLoopbackOrPrivate(host)) return undefined;
  return `this check changes the target's state and ${host || 'the target'} is neither managed by golive nor on a loopback or private address: allow it with allowMutation: true in the config or --allow-mutation`;
}
