/**
 * Bad input ends with a clear usage or config error (exit 2) in bounded time: an output directory on a pseudo
 * file system, a config that never finishes loading, a `__proto__` key that merging would silently drop.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfigFile } from '../../src/config/load.ts';
import { resolveConfig } from '../../src/index.ts';
import { assertBuilt, assertNoStack, golive } from './helpers.ts';

let dir: string;
before(async () => {
  assertBuilt();
  dir = await mkdtemp(join(tmpdir(), 'golive-bad-input-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('bad input exits 2, naming the problem', () => {
  it('--out under /proc is refused before anything runs (it used to spin in mkdir)', async () => {
    const run = await golive(['check', 'http://127.0.0.1:9', '--out', '/proc/golive-out-test'], { killAfterMs: 20_000 });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /--out: \/proc\/golive-out-test is on a proc file system/);
    assertNoStack(run.stderr);
  });

  it('a config whose top-level await never settles exits 2 within the load timeout, without Node’s exit 13', async () => {
    const config = join(dir, 'stuck.config.mjs');
    await writeFile(config, 'await new Promise(() => {});\nexport default { target: { baseUrl: "http://127.0.0.1:9" } };\n');
    const run = await golive(['run', '--config', config, '--out', join(dir, 'out')], { env: { GOLIVE_CONFIG_TIMEOUT_MS: '800' }, killAfterMs: 20_000 });
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /did not finish loading within 0\.8 s/);
    assert.doesNotMatch(run.stderr, /unsettled top-level await/i);
    assertNoStack(run.stderr);
  });

  it('an exported function that never settles is bounded too', async () => {
    const config = join(dir, 'fn.config.mjs');
    await writeFile(config, 'export default () => new Promise(() => {});\n');
    const t0 = Date.now();
    await assert.rejects(loadConfigFile(config, dir, 300), (e: Error & { code?: string }) => e.code === 'GOLIVE_ERR_CONFIG_LOAD' && /0\.3 s/.test(e.message));
    assert.ok(Date.now() - t0 < 5000);
  });

  it('a __proto__ key is refused with its path, in a JSON config and on the command line', async () => {
    const text = '{"target":{"baseUrl":"http://127.0.0.1:9"},"checks":{"__proto__":{"kind":"health"},"h":{"kind":"health","options":{"__proto__":{"x":1}}}}}';
    assert.throws(
      () => resolveConfig({ file: JSON.parse(text), env: {} }),
      (e: Error & { issues?: Array<{ path: string }> }) => JSON.stringify(e.issues?.map((i) => i.path)) === JSON.stringify(['checks.__proto__', 'checks.h.options.__proto__']),
    );
    const file = join(dir, 'proto.json');
    await writeFile(file, text);
    const run = await golive(['run', '--config', file, '--out', join(dir, 'out2')]);
    assert.equal(run.code, 2, run.stdout + run.stderr);
    assert.match(run.stderr, /checks\.__proto__: "__proto__" is not allowed as a key/);
    assertNoStack(run.stderr);
  });
});
