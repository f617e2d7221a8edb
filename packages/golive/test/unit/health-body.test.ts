import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HealthVerdict, classifyHealthBody } from '../../src/checks/health.ts';

describe('classifyHealthBody', () => {
  const cases: Array<[string, unknown, HealthVerdict]> = [
    ['status ok', { status: 'ok' }, 'healthy'],
    ['status OK upper case', { status: 'OK' }, 'healthy'],
    ['status healthy', { status: 'healthy' }, 'healthy'],
    ['status UP (Spring)', { status: 'UP' }, 'healthy'],
    ['IETF pass', { status: 'pass', version: '1' }, 'healthy'],
    ['healthy true', { healthy: true }, 'healthy'],
    ['ok true', { ok: true }, 'healthy'],
    ['status true', { status: true }, 'healthy'],
    ['IETF warn', { status: 'warn' }, 'warn'],
    ['warning word', { status: 'Warning' }, 'warn'],
    ['IETF fail', { status: 'fail' }, 'unhealthy'],
    ['down', { status: 'DOWN' }, 'unhealthy'],
    ['degraded', { status: 'degraded' }, 'unhealthy'],
    ['out of service', { status: 'OUT_OF_SERVICE' }, 'unhealthy'],
    ['healthy false', { healthy: false }, 'unhealthy'],
    ['ok false', { ok: false }, 'unhealthy'],
    ['worst wins: degraded with ok true', { status: 'degraded', ok: true }, 'unhealthy'],
    ['worst wins: ok with healthy false', { status: 'ok', healthy: false }, 'unhealthy'],
    ['warn beats ok', { status: 'warn', ok: true }, 'warn'],
    ['unknown status word is not healthy', { status: 'starting' }, 'unrecognised'],
    ['unknown word beside ok true', { status: 'starting', ok: true }, 'unrecognised'],
    ['healthy as a string', { healthy: 'yes' }, 'unrecognised'],
    ['status null', { status: null }, 'unrecognised'],
    ['no known field', { uptime: 12 }, 'unrecognised'],
    ['empty object', {}, 'unrecognised'],
    ['array', [{ status: 'ok' }], 'unrecognised'],
    ['bare string', 'ok', 'unrecognised'],
    ['null', null, 'unrecognised'],
  ];
  for (const [name, body, verdict] of cases) {
    it(`${name} → ${verdict}`, () => {
      assert.equal(classifyHealthBody(body).verdict, verdict);
    });
  }

  it('names the deciding field', () => {
    assert.equal(classifyHealthBody({ status: 'degraded', ok: true }).reason, 'status "degraded"');
  });

  it('lists IETF components that do not pass', () => {
    const m = classifyHealthBody({
      status: 'pass',
      checks: { 'db:responseTime': [{ status: 'warn' }], 'cache:up': [{ status: 'pass' }], 'queue:depth': [{ status: 'fail' }] },
    });
    assert.equal(m.verdict, 'healthy');
    assert.deepEqual(m.components, ['db:responseTime warn', 'queue:depth fail']);
  });
});
