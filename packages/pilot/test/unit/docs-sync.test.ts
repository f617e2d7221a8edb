// The configuration schema, .env.example, docs/CONFIGURATION.md and the README must agree.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { CONFIG_VARIABLES, SECRET_VARIABLES } from '../../src/config.ts';

const root = new URL('../../', import.meta.url);
const read = (p: string) => readFileSync(new URL(p, root), 'utf8');

test('.env.example lists exactly the variables of the schema', () => {
  const names = read('.env.example')
    .split('\n')
    .map((l) => /^([A-Z0-9_]+)=/.exec(l)?.[1])
    .filter((n): n is string => n !== undefined);
  assert.deepEqual([...names].sort(), [...CONFIG_VARIABLES].sort());
  assert.equal(new Set(names).size, names.length, 'a variable is listed twice');
});

test('.env.example holds no secret value', () => {
  for (const line of read('.env.example').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (m && (SECRET_VARIABLES as readonly string[]).includes(m[1]!)) assert.equal(m[2], '', `${m[1]} has a value`);
  }
});

test('docs/CONFIGURATION.md documents exactly the variables of the schema', () => {
  const names = [...read('docs/CONFIGURATION.md').matchAll(/^\| `([A-Z0-9_]+)` \|/gm)].map((m) => m[1]!);
  assert.deepEqual([...names].sort(), [...CONFIG_VARIABLES].sort());
});

test('every secret variable is marked secret in docs/CONFIGURATION.md', () => {
  const doc = read('docs/CONFIGURATION.md');
  for (const name of SECRET_VARIABLES) {
    const row = doc.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
    assert.ok(row?.includes('**Secret.**'), name);
  }
});

test('the README documents the routes and the runbooks exist', () => {
  const readme = read('README.md');
  for (const route of [
    '/health',
    '/health/live',
    '/health/ready',
    '/health/startup',
    '/health/detailed',
    '/metrics',
    'POST /v1/events',
    'GET /v1/events',
    '/api/stripe/webhook',
    '/api/auth/csrf',
    '/api/security/csrf',
    '/api/notify/outbox',
    '/config',
    '/admin/config',
  ]) {
    assert.ok(readme.includes(route), route);
  }
  for (const f of ['deploy', 'rollback', 'oncall']) assert.ok(existsSync(new URL(`docs/runbooks/${f}.md`, root)), f);
});
