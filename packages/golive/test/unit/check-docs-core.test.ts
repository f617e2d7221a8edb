/**
 * Keeps docs/checks.md in step with the kinds listed below: every finding code their sources can emit and every
 * option they accept is documented in the kind's section.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { canaryCheck } from '../../src/checks/canary.ts';
import { commandCheck } from '../../src/checks/command.ts';
import { drainCheck } from '../../src/checks/drain.ts';
import { healthCheck } from '../../src/checks/health.ts';
import { httpCheck } from '../../src/checks/http.ts';
import { idempotencyCheck } from '../../src/checks/idempotency.ts';
import { metricsCheck } from '../../src/checks/metrics.ts';
import { providerConfigCheck } from '../../src/checks/provider-config.ts';
import { outageCheck } from '../../src/checks/outage.ts';
import { rateLimitCheck } from '../../src/checks/rate-limit.ts';
import { recoveryCheck } from '../../src/checks/recovery.ts';
import { startupCheck } from '../../src/checks/startup.ts';
import type { CheckDefinition } from '../../src/checks/types.ts';
import { NETWORK_FINDING } from '../../src/checks/util/network.ts';
import { webhookCheck } from '../../src/checks/webhook.ts';

const root = new URL('../../../../', import.meta.url);
const docs = readFileSync(new URL('docs/checks.md', root), 'utf8');

function section(kind: string): string {
  const start = docs.indexOf(`\n## ${kind}\n`);
  assert.ok(start >= 0, `docs/checks.md has no "## ${kind}" section`);
  const next = docs.indexOf('\n## ', start + 1);
  return docs.slice(start, next < 0 ? undefined : next);
}

const kinds: Array<[CheckDefinition, string, string, boolean]> = [
  [healthCheck, 'health.ts', 'HEALTH', true],
  [canaryCheck, 'canary.ts', 'CANARY', true],
  [httpCheck, 'http.ts', 'HTTP', true],
  [providerConfigCheck, 'provider-config.ts', 'PROVIDER', false],
  [commandCheck, 'command.ts', 'COMMAND', false],
  [rateLimitCheck, 'rate-limit.ts', 'RATE_LIMIT', false],
  [idempotencyCheck, 'idempotency.ts', 'IDEMPOTENCY', false],
  [recoveryCheck, 'recovery.ts', 'RECOVERY', false],
  [outageCheck, 'outage.ts', 'OUTAGE', false],
  [startupCheck, 'startup.ts', 'STARTUP', false],
  [drainCheck, 'drain.ts', 'DRAIN', false],
  [webhookCheck, 'webhook.ts', 'WEBHOOK', true],
  [metricsCheck, 'metrics.ts', 'METRICS', true],
];

describe('docs/checks.md covers the core kinds', () => {
  for (const [def, file, prefix, network] of kinds) {
    it(`${def.kind}: finding codes`, () => {
      const src = readFileSync(new URL(`packages/golive/src/checks/${file}`, root), 'utf8');
      const found = new Set([...src.matchAll(new RegExp(`'(${prefix}_[A-Z_]+)'`, 'g'))].map((m) => m[1] as string));
      if (network) for (const suffix of Object.values(NETWORK_FINDING)) found.add(`${prefix}_${suffix}`);
      assert.ok(found.size >= 3, 'too few codes found: the pattern is broken');
      const text = section(def.kind);
      const missing = [...found].filter((c) => !text.includes(c));
      assert.deepEqual(missing, [], `undocumented finding codes of ${def.kind}`);
    });
    it(`${def.kind}: options`, () => {
      const shape = (def.options as unknown as { shape: Record<string, unknown> }).shape;
      const text = section(def.kind);
      const missing = Object.keys(shape).filter((k) => !text.includes(`\`${k}\``) && !text.includes(`\`${k}.`) && !text.includes(`\`${k}[]`));
      assert.deepEqual(missing, [], `undocumented options of ${def.kind}`);
    });
  }
});
