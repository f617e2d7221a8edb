/**
 * The registry of built-in check kinds. The config schema is built from it, so a kind added here is
 * validated, documented by `golive schema` and runnable. Keep the list sorted by kind.
 */
import { healthCheck } from './health.ts';
import { canaryCheck } from './canary.ts';
import { exposureCheck } from './exposure.ts';
import { httpCheck } from './http.ts';
import { idempotencyCheck } from './idempotency.ts';
import { loadCheck } from './load.ts';
import { outageCheck } from './outage.ts';
import { metricsCheck } from './metrics.ts';
import { securityHeadersCheck } from './security-headers.ts';
import { startupCheck } from './startup.ts';
import { providerConfigCheck } from './provider-config.ts';
import { rateLimitCheck } from './rate-limit.ts';
import { recoveryCheck } from './recovery.ts';
import { tlsCheck } from './tls.ts';
import { commandCheck } from './command.ts';
import { drainCheck } from './drain.ts';
import { webhookCheck } from './webhook.ts';
import type { CheckDefinition } from './types.ts';

/** Built-in check kinds. */
export const builtinChecks: readonly CheckDefinition[] = [
  // kinds are added here, one import each
  canaryCheck,
  commandCheck,
  drainCheck,
  exposureCheck,
  healthCheck,
  httpCheck,
  idempotencyCheck,
  loadCheck,
  outageCheck,
  metricsCheck,
  providerConfigCheck,
  rateLimitCheck,
  recoveryCheck,
  securityHeadersCheck,
  startupCheck,
  tlsCheck,
  webhookCheck,
];

/** Finds a kind among the built-ins and any user-defined checks. */
export function findCheck(kind: string, extra: readonly CheckDefinition[] = []): CheckDefinition | undefined {
  return extra.find((c) => c.kind === kind) ?? builtinChecks.find((c) => c.kind === kind);
}
