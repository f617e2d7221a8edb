/** The console's progress view: a live line on a terminal, a line every few seconds in a log, always inert. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOG_INTERVAL_MS, ProgressView } from '../../src/cli/progress.ts';
import { Redactor } from '../../src/core/redact.ts';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, out: { isTTY, write: (t: string) => writes.push(t) } };
}

describe('ProgressView', () => {
  it('in a log: nothing for a short check, then one line every interval with the latest progress', () => {
    let now = 0;
    const { writes, out } = sink(false);
    const view = new ProgressView(out, new Redactor(), { now: () => now, intervalMs: 60_000 });
    view.start('load');
    now = 1000;
    view.tick();
    assert.deepEqual(writes, [], 'a check under the interval prints nothing');
    view.update('load', '1200/2000 req · 840 req/s · p95 12.1 ms');
    now = LOG_INTERVAL_MS;
    view.tick();
    now = LOG_INTERVAL_MS + 1000;
    view.tick();
    now = 2 * LOG_INTERVAL_MS;
    view.tick();
    view.stop();
    assert.deepEqual(writes, ['… load running 5 s: 1200/2000 req · 840 req/s · p95 12.1 ms\n', '… load running 10 s: 1200/2000 req · 840 req/s · p95 12.1 ms\n']);
  });

  it('on a terminal: one line redrawn in place and cleared before other output; progress of other checks ignored', () => {
    let now = 0;
    const { writes, out } = sink(true);
    const view = new ProgressView(out, new Redactor(), { now: () => now, intervalMs: 60_000 });
    view.start('canary');
    view.update('other', 'not mine');
    now = 2000;
    view.tick();
    view.clear();
    view.stop();
    assert.deepEqual(writes, ['\r\u001b[2K… canary running 2 s', '\r\u001b[2K']);
  });

  it('redacts secrets and shows target control characters as escapes', () => {
    let now = 0;
    const { writes, out } = sink(false);
    const view = new ProgressView(out, Redactor.fromEnv({}, ['s3cr3t-value-123']), { now: () => now, intervalMs: 60_000 });
    view.start('x');
    view.update('x', 'token s3cr3t-value-123 \u001b[2J\n::add-mask::y');
    now = LOG_INTERVAL_MS;
    view.tick();
    view.stop();
    assert.equal(writes.length, 1);
    assert.ok(!writes[0]?.includes('s3cr3t-value-123'));
    assert.ok(!writes[0]?.includes('\u001b'));
    assert.match(writes[0] ?? '', /\\x1b\[2J/);
  });
});
