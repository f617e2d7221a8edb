/**
 * The exposure check against small servers on port 0: exposed files with signatures, catch-all pages
 * (soft 404s), unconfirmed answers, and evidence that never quotes secret values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { exposureCheck } from '../../src/checks/exposure.ts';
import { refusedUrl, serverPool } from '../helpers/check-servers.ts';
import { codes, failed, runKind } from '../helpers/context.ts';

const { serve } = serverPool();
const run = (baseUrl: string, opts: Record<string, unknown> = {}) => runKind(exposureCheck, baseUrl, opts);

const SECRET = 'sk_live_51NotARealKeyButLooksLikeOne';
const FILES: Record<string, string | Buffer> = {
  '/.env': `APP_ENV=production\nSTRIPE_SECRET_KEY=${SECRET}\n`,
  '/.git/config': '[core]\n\trepositoryformatversion = 0\n',
  '/.git/HEAD': 'ref: refs/heads/main\n',
  '/server-status': '<html><h1>Apache Server Status for x</h1>Server uptime: 3 days</html>',
  '/.DS_Store': Buffer.from([0, 0, 0, 1, 0x42, 0x75, 0x64, 0x31, 0, 0]),
  '/backup.zip': Buffer.from([0x50, 0x4b, 0x03, 0x04, 1, 2, 3]),
  '/db.sql': '-- PostgreSQL database dump\nCREATE TABLE users (id int);\n',
  '/config.php.bak': "<?php $db = 'x';",
  '/actuator/env': '{"activeProfiles":["prod"],"propertySources":[]}',
  '/phpinfo.php': '<html><title>phpinfo()</title>PHP Version 8.2</html>',
  '/.aws/credentials': '[default]\naws_access_key_id = AKIAXXXXXXXXXXXXXXXX\n',
};

describe('exposure check', () => {
  it('passes when every sensitive path is a 404', async () => {
    const url = await serve((_req, res) => {
      res.statusCode = 404;
      res.end('not found');
    });
    const out = await run(url);
    assert.equal(failed(out), false);
    assert.equal(out.metrics?.exposed, 0);
  });

  it('finds every exposed file by its signature, without quoting secrets', async () => {
    const url = await serve((req, res) => {
      const f = FILES[req.url ?? ''];
      res.statusCode = f === undefined ? 404 : 200;
      res.end(f ?? 'not found');
    });
    const out = await run(url);
    assert.equal(failed(out), true);
    const exposed = out.observations.filter((o) => o.code === 'EXPOSURE_SENSITIVE_PATH' && o.name.startsWith('exposed:')).map((o) => o.name.slice('exposed:'.length));
    assert.deepEqual(exposed.sort(), Object.keys(FILES).sort());
    for (const o of out.observations) assert.match(o.message, /content matches its signature|probed/);
    assert.ok(!JSON.stringify(out).includes(SECRET), 'a secret from .env appears in the result');
    assert.ok(!JSON.stringify(out).includes('AKIAXXXXXXXXXXXXXXXX'));
    assert.match(out.observations.find((o) => o.name === 'exposed:/.env')?.message ?? '', /keys: APP_ENV, STRIPE_SECRET_KEY/);
  });

  it('does not count a catch-all page (single-page app) as exposure', async () => {
    const url = await serve((req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><html><body><div id="app"></div><!-- ${req.url} --></body></html>`);
    });
    const out = await run(url);
    assert.equal(failed(out), false, JSON.stringify(out.observations.filter((o) => !o.passed)));
    assert.equal(out.observations.filter((o) => !o.passed).length, 0);
    const results = out.data?.results as Array<{ verdict: string }>;
    assert.ok(results.every((r) => r.verdict === 'soft-404'));
  });

  it('reports a debug endpoint that answers with its own content, and an unconfirmed match as a warning', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/debug') return res.end('{"heap":123456,"goroutines":42,"env":"prod","uptimeSeconds":99999}');
      if (req.url === '/.git/config') return res.end('<html><body>Welcome to our marketing site, a very different page indeed</body></html>');
      res.end('<html><body>home</body></html>');
    });
    const out = await run(url);
    assert.equal(failed(out), true);
    assert.ok(out.observations.some((o) => o.name === 'exposed:/debug' && o.code === 'EXPOSURE_SENSITIVE_PATH'));
    const sus = out.observations.find((o) => o.name === 'suspicious:/.git/config');
    assert.equal(sus?.severity, 'warn');
    assert.equal(sus?.code, 'EXPOSURE_UNCONFIRMED');
  });

  it('honours extra paths, custom signatures and ignore', async () => {
    const url = await serve((req, res) => {
      if (req.url === '/debug') return res.end('public debug page, on purpose');
      if (req.url === '/internal/metrics-dump') return res.end('SECRET_DUMP v1');
      res.statusCode = 404;
      res.end('nope');
    });
    const out = await run(url, { ignore: ['/debug'], paths: [{ path: '/internal/metrics-dump', what: 'metrics dump', signature: '^SECRET_DUMP' }] });
    assert.deepEqual(codes(out), ['EXPOSURE_SENSITIVE_PATH', 'EXPOSURE_SENSITIVE_PATH']);
    assert.ok(out.observations.some((o) => o.name === 'exposed:/internal/metrics-dump'));
    assert.ok(!out.observations.some((o) => o.name === 'exposed:/debug'));
    assert.throws(() => exposureCheck.options.parse({ paths: ['no-slash'] }));
  });

  it('does not call a rate-limited path safe', async () => {
    const url = await serve((req, res) => {
      res.statusCode = req.url === '/.env' ? 429 : 404;
      res.end('slow down');
    });
    const out = await run(url);
    assert.equal(failed(out), false);
    const w = out.observations.find((o) => o.name === 'not-judged:/.env');
    assert.equal(w?.severity, 'warn');
    assert.equal(w?.code, 'EXPOSURE_NOT_JUDGED');
  });

  it('fails with evidence when the target refuses connections', async () => {
    const out = await run(await refusedUrl());
    assert.deepEqual(codes(out), ['EXPOSURE_UNREACHABLE']);
  });
});
