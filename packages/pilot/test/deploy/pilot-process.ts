// A pilot process for the deployment tests: the shared test environment on port 0, and signed ingests.
import { randomUUID } from 'node:crypto';
import { signRequest } from '../../src/app.ts';
import { testEnv, TENANT_A } from '../helpers.ts';

/** Longest wait for a pilot child to listen (PGlite's start on a loaded 2-core machine). */
export const STARTUP_TIMEOUT_MS = 90_000;

/** Environment of a pilot child process on a free port (in-memory PGlite, tenant A, quiet logs). */
export function testServerEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return testEnv({ PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'warn', ...overrides });
}

/** Headers and body of a signed `POST /v1/events` of tenant A (a retry needs another `timestamp`). */
export function signedIngestRequest(body: unknown, key: string = randomUUID(), timestamp?: number) {
  const raw = JSON.stringify(body);
  const signature = signRequest({
    secret: TENANT_A.secret,
    method: 'POST',
    path: '/v1/events',
    body: raw,
    idempotencyKey: key,
    ...(timestamp !== undefined ? { timestamp } : {}),
  });
  return {
    body: raw,
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${TENANT_A.apiKey}`,
      'x-signature': signature,
      'idempotency-key': key,
    },
  };
}
