/** `golive run` in a log shows a line every few seconds for a long check, and nothing of the kind with --quiet. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { assertBuilt, assertNoStack, golive } from './helpers.ts';

let dir: string;
let config: string;
before(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'golive-progress-'));
  config = join(dir, 'golive.config.json');
  const sleeper = `${JSON.stringify(process.execPath)} -e "setTimeout(() => {}, 6500)"`;
  await writeFile(config, JSON.stringify({ target: { baseUrl: 'http://127.0.0.1:9' }, checks: { slow: { kind: 'command', options: { command: sleeper } } } }));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('progress of long checks', () => {
  it('prints a progress line every 5 s when stdout is not a terminal; --quiet prints none', async () => {
    const [loud, quiet] = await Promise.all([
      golive(['run', '--config', config, '--out', join(dir, 'a')]),
      golive(['run', '--config', config, '--out', join(dir, 'b'), '--quiet']),
    ]);
    for (const r of [loud, quiet]) {
      assertNoStack(r.stderr);
      assert.equal(r.code, 0, r.stdout + r.stderr);
    }
    assert.match(loud.stdout, /^… slow running [5-9] s$/m, "a line after about 5 s (ticks are once a second)");
    assert.match(loud.stdout, /\[1\/1\] PASS\s+slow/);
    assert.doesNotMatch(quiet.stdout, /running \d+ s/);
    assert.doesNotMatch(quiet.stdout, /\[1\/1\]/, '--quiet drops the per-check lines');
    assert.match(quiet.stdout, /GO: 1 passed/, 'the verdict is still printed');
  });
});
