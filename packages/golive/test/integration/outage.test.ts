/**
 * The `outage` drill against real servers whose dependency real commands take away and bring back: readiness
 * must turn, liveness must hold, readiness must come back; each defect fails on its own finding.
 */
import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { outageCheck } from '../../src/checks/outage.ts';
import { startServer, type TestServer } from '../helpers/check-servers.ts';
import { codes, failed, runKind } from '../helpers/context.ts';

const servers: TestServer[] = [];
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

/** A service with one dependency; `/__dep/down` and `/__dep/up` stand for breaking and restoring it. */
async function service(flaws: { readyIgnoresDep?: boolean; liveFollowsDep?: boolean } = {}): Promise<string> {
  let up = true;
  const s = await startServer((req, res) => {
    if (req.url === '/__dep/down') up = false;
    else if (req.url === '/__dep/up') up = true;
    else if (req.url === '/health/ready') res.statusCode = up || flaws.readyIgnoresDep ? 200 : 503;
    else if (req.url === '/health/live') res.statusCode = up || !flaws.liveFollowsDep ? 200 : 503;
    else res.statusCode = 404;
    res.end();
  });
  servers.push(s);
  return s.url;
}

/** A real command that calls the service (as a script that stops a proxy would). */
const call = (url: string) => [process.execPath, '-e', `fetch(${JSON.stringify(url)}).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(2))`];

const fast = { withinMs: 2000, intervalMs: 50 };

describe('outage drill', () => {
  it('readiness turns, liveness holds, readiness comes back: pass', async () => {
    const url = await service();
    const out = await runKind(outageCheck, url, { ...fast, break: call(`${url}/__dep/down`), restore: call(`${url}/__dep/up`) });
    assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed)));
    const d = out.data as { readyDownMs: number; readyBackMs: number; liveFailures: number; timeline: unknown[] };
    assert.ok(d.readyDownMs !== null && d.readyBackMs !== null && d.liveFailures === 0, JSON.stringify(d));
  });

  it('readiness that stays 200 with the dependency gone fails OUTAGE_READY_STAYED_UP', async () => {
    const url = await service({ readyIgnoresDep: true });
    const out = await runKind(outageCheck, url, { ...fast, break: call(`${url}/__dep/down`), restore: call(`${url}/__dep/up`) });
    assert.deepEqual(codes(out), ['OUTAGE_READY_STAYED_UP']);
  });

  it('liveness that fails with the dependency fails OUTAGE_LIVENESS_FAILED', async () => {
    const url = await service({ liveFollowsDep: true });
    const out = await runKind(outageCheck, url, { ...fast, break: call(`${url}/__dep/down`), restore: call(`${url}/__dep/up`) });
    assert.deepEqual(codes(out), ['OUTAGE_LIVENESS_FAILED']);
  });

  it('a restore that fails is said loudly and the readiness is not back', async () => {
    const url = await service();
    const out = await runKind(outageCheck, url, { ...fast, break: call(`${url}/__dep/down`), restore: [process.execPath, '-e', 'process.exit(4)'] });
    assert.deepEqual(codes(out), ['OUTAGE_RESTORE_FAILED', 'OUTAGE_NOT_RECOVERED']);
    assert.match(out.observations.find((o) => o.code === 'OUTAGE_RESTORE_FAILED')?.message ?? '', /THE DEPENDENCY MAY STILL BE DOWN/);
  });

  it('a break command that fails is named, and the restore still runs', async () => {
    const url = await service();
    const out = await runKind(outageCheck, url, { ...fast, break: [process.execPath, '-e', 'console.error("no permission"); process.exit(1)'], restore: call(`${url}/__dep/up`) });
    assert.deepEqual(codes(out), ['OUTAGE_COMMAND_FAILED']);
    assert.equal((out.data as { restoreExit: number }).restoreExit, 0);
  });
});
