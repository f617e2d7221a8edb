/**
 * The `rate-limit` kind against real servers on port 0: a correct limiter passes; no limit, a limit that answers
 * 5xx, one keyed on X-Forwarded-For, one over its stated budget each fail on the probe that caught them.
 */
import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { rateLimitCheck } from '../../src/checks/rate-limit.ts';
import { parseRateLimitHeaders, parseRetryAfter } from '../../src/checks/util/rate-limit-headers.ts';
import { startServer, type TestServer } from '../helpers/check-servers.ts';
import { codes, failed, runKind } from '../helpers/context.ts';

interface Limiter {
  budget: number;
  windowMs: number;
  key: (req: IncomingMessage) => string;
  refuse: (res: ServerResponse, resetSec: number) => void;
  headers: boolean;
}

/** A fixed-window limiter; each test server varies one property. */
function limiter(l: Partial<Limiter>) {
  const cfg: Limiter = {
    budget: 20,
    windowMs: 1000,
    key: (req) => req.socket.remoteAddress ?? '',
    refuse: (res, resetSec) => {
      res.writeHead(429, { 'retry-after': String(resetSec), 'content-type': 'application/json' });
      res.end('{"error":"rate_limited"}');
    },
    headers: true,
    ...l,
  };
  const windows = new Map<string, { start: number; used: number }>();
  return (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const now = Date.now();
    const k = cfg.key(req);
    let w = windows.get(k);
    if (!w || now - w.start >= cfg.windowMs) {
      w = { start: now, used: 0 };
      windows.set(k, w);
    }
    w.used++;
    const resetSec = Math.max(1, Math.ceil((w.start + cfg.windowMs - now) / 1000));
    if (cfg.headers) {
      res.setHeader('ratelimit-limit', String(cfg.budget));
      res.setHeader('ratelimit-remaining', String(Math.max(0, cfg.budget - w.used)));
      res.setHeader('ratelimit-reset', String(resetSec));
    }
    if (w.used > cfg.budget) return cfg.refuse(res, resetSec);
    res.end('ok');
  };
}

const servers: TestServer[] = [];
async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const s = await startServer(handler);
  servers.push(s);
  return s.url;
}
after(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

const fast = { maxRequests: 80, concurrency: 4, recovery: { maxWaitMs: 3000 } };

describe('rate-limit against real servers', () => {
  let good: string;
  before(async () => {
    good = await serve(limiter({}));
  });

  it('a correct limiter passes: 429 at its budget, headers, no bypass, recovery', async () => {
    const out = await runKind(rateLimitCheck, good, fast);
    assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed), null, 1));
    const d = out.data as { observedBudget: number; expectedBudget: number; budgetSource: string; recovered: boolean; bypassedBy: string[] };
    assert.ok(d.observedBudget >= 20 && d.observedBudget <= 24, `budget ${d.observedBudget}`);
    assert.deepEqual([d.expectedBudget, d.budgetSource, d.recovered, d.bypassedBy], [20, 'advertised', true, []]);
  });

  it('no limit at all fails RATE_LIMIT_ABSENT', async () => {
    const url = await serve((req, res) => {
      req.resume();
      res.end('ok');
    });
    const out = await runKind(rateLimitCheck, url, fast);
    assert.deepEqual(codes(out), ['RATE_LIMIT_ABSENT']);
  });

  it('a limit that answers 503 instead of 429 fails RATE_LIMIT_5XX (and is not a limit)', async () => {
    const url = await serve(
      limiter({
        refuse: (res) => {
          res.writeHead(503);
          res.end('overloaded');
        },
      }),
    );
    const out = await runKind(rateLimitCheck, url, fast);
    assert.deepEqual(codes(out), ['RATE_LIMIT_5XX', 'RATE_LIMIT_ABSENT']);
  });

  it('a limit keyed on X-Forwarded-For is bypassed by rotating it: RATE_LIMIT_BYPASS names the header', async () => {
    const url = await serve(limiter({ key: (req) => String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress) }));
    const out = await runKind(rateLimitCheck, url, fast);
    assert.deepEqual(codes(out), ['RATE_LIMIT_BYPASS']);
    assert.deepEqual((out.data as { bypassedBy: string[] }).bypassedBy, ['x-forwarded-for']);
    const trusted = await runKind(rateLimitCheck, url, { ...fast, bypass: { trustedProxy: true } });
    assert.equal(failed(trusted), false, 'behind a trusted proxy the same finding is a warning');
  });

  it('a first 429 past the stated budget fails RATE_LIMIT_OVER_BUDGET', async () => {
    const url = await serve(limiter({ budget: 50, headers: false }));
    const out = await runKind(rateLimitCheck, url, { ...fast, expect: { budget: 10 } });
    assert.ok(codes(out).includes('RATE_LIMIT_OVER_BUDGET'), JSON.stringify(codes(out)));
  });

  it('429s that say nothing about when to retry are a warning, and recovery is then not observed', async () => {
    const url = await serve(
      limiter({
        headers: false,
        refuse: (res) => {
          res.writeHead(429);
          res.end();
        },
      }),
    );
    const out = await runKind(rateLimitCheck, url, fast);
    assert.equal(failed(out), false);
    const warned = out.observations.filter((o) => !o.passed).map((o) => o.code);
    assert.deepEqual(warned, ['RATE_LIMIT_NO_HEADERS', 'RATE_LIMIT_RECOVERY_NOT_OBSERVED']);
  });

  it('remaining that rises inside a window is a finding', async () => {
    let n = 0;
    const url = await serve((req, res) => {
      req.resume();
      n++;
      res.setHeader('ratelimit-limit', '30');
      res.setHeader('ratelimit-remaining', String(n % 5 === 0 ? 29 : Math.max(0, 30 - n)));
      res.setHeader('ratelimit-reset', '60');
      if (n > 30) {
        res.writeHead(429, { 'retry-after': '60' });
        return res.end();
      }
      res.end('ok');
    });
    const out = await runKind(rateLimitCheck, url, { ...fast, concurrency: 1 });
    assert.ok(codes(out).includes('RATE_LIMIT_HEADERS_INCONSISTENT'), JSON.stringify(codes(out)));
  });

  it('an unreachable target ends at once with evidence', async () => {
    const out = await runKind(rateLimitCheck, 'http://127.0.0.1:9', { ...fast, maxRequests: 10 });
    assert.ok(codes(out).includes('RATE_LIMIT_UNREACHABLE'));
  });
});

describe('rate-limit headers', () => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  it('reads every generation of the fields', () => {
    const cases: Array<[Record<string, string>, Record<string, unknown>]> = [
      [{ ratelimit: '"default";r=50;t=30', 'ratelimit-policy': '"default";q=100;w=60' }, { remaining: 50, resetSec: 30, limit: 100, windowSec: 60, source: 'ietf' }],
      [{ ratelimit: 'limit=100, remaining=5, reset=10' }, { limit: 100, remaining: 5, resetSec: 10, source: 'ietf-dictionary' }],
      [{ 'ratelimit-limit': '10', 'ratelimit-remaining': '0', 'ratelimit-reset': '3' }, { limit: 10, remaining: 0, resetSec: 3, source: 'ratelimit-fields' }],
      [{ 'x-ratelimit-limit': '60', 'x-ratelimit-remaining': '59', 'x-ratelimit-reset': String(now / 1000 + 42) }, { limit: 60, remaining: 59, resetSec: 42, source: 'x-ratelimit' }],
      [{ 'retry-after': '7' }, { retryAfterSec: 7 }],
      [{ 'retry-after': 'Thu, 01 Jan 2026 00:00:09 GMT' }, { retryAfterSec: 9 }],
      [{ 'retry-after': 'soon', 'x-ratelimit-limit': '1e999' }, {}],
    ];
    for (const [headers, expected] of cases) assert.deepEqual(parseRateLimitHeaders(headers, now), expected, JSON.stringify(headers));
    assert.equal(parseRetryAfter(undefined, now), undefined);
  });
});
