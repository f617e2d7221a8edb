/**
 * pilot, the reference service, as the target of the security kinds: it must pass security-headers on `/`,
 * its 404, an API route and its 429 answer, serve no sensitive path, and be reported as not applicable by tls
 * (plain http on loopback).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { exposureCheck } from '../../src/checks/exposure.ts';
import { securityHeadersCheck } from '../../src/checks/security-headers.ts';
import { tlsCheck } from '../../src/checks/tls.ts';
import { failed, makeContext, runCheck } from '../helpers/context.ts';
import { type RunningPilot, startPilot } from '../helpers/pilot.ts';


describe('security kinds against pilot', () => {
  let pilot: RunningPilot | undefined;
  let baseUrl = '';
  before(async () => {
    pilot = await startPilot({ RATE_LIMIT_MAX: '40' });
    baseUrl = pilot.baseUrl;
  });
  after(async () => {
    await pilot?.stop();
  });

  it('serves no sensitive path', async () => {
    const t = await makeContext({ baseUrl });
    try {
      const out = await runCheck(exposureCheck, t.ctx, {});
      assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed)));
      assert.equal(out.observations.filter((o) => !o.passed).length, 0, 'every path judged, none suspicious');
    } finally {
      await t.close();
    }
  });

  it('passes security-headers with grade A or better on /, 404, an API route and a 429', async () => {
    const t = await makeContext({ baseUrl });
    try {
      const out = await runCheck(securityHeadersCheck, t.ctx, { minGrade: 'A', paths: ['/health', '/v1/events', { path: '/config', label: '429', burst: 45, expectStatus: 429 }] });
      assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed), null, 1));
      const paths = out.data?.paths as Array<{ label: string; statusCode: number; grade: string }>;
      assert.equal(paths.find((p) => p.label === '429')?.statusCode, 429);
      assert.ok(!out.observations.some((o) => o.name === 'status@429' && !o.passed), 'the 429 was reached');
      for (const p of paths) assert.ok(['A+', 'A'].includes(p.grade), `${p.label}: ${p.grade}`);
    } finally {
      await t.close();
    }
  });

  it('tls is not applicable to plain http on loopback', async () => {
    const t = await makeContext({ baseUrl });
    try {
      const out = await runCheck(tlsCheck, t.ctx, {});
      assert.equal(failed(out), false);
      assert.equal(out.data?.applicable, false);
    } finally {
      await t.close();
    }
  });
});
