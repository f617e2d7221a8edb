#!/usr/bin/env node
import { parseArgs } from 'node:util';

/**
 * `pilot`: operator commands against a running pilot, through its admin API (so they work while the
 * service runs, whichever database it uses: PGlite has a single writer, the service). The admin token
 * comes from ADMIN_TOKEN (never an argument: arguments are visible to every user of the machine), the
 * service URL from --url or PILOT_URL (default http://127.0.0.1:8000).
 *
 * Exit codes: 0 done; 1 refused by the service (duplicate tenant, unknown tenant) or drift above the
 * threshold (reconcile); 2 usage or configuration error; 3 service unreachable or failing.
 */
const USAGE = `usage: pilot <command> [options]
  tenant create <id> [--name <name>]   provision a tenant; prints its API key and signing secret once
  tenant list                          tenants, without keys or secrets
  tenant rotate-key <id>               new API key (printed once); the old one stops working
  tenant disable <id>                  the tenant's API key authenticates nothing any more
  reconcile [--from <iso>] [--to <iso>] [--lag-sec <n>]
                                       compare source events with events_enriched; exit 1 on drift
  dead-letters list --tenant <id>      dead-lettered events of a tenant
  dead-letters requeue --tenant <id> [--event <uuid>]...
                                       hand dead-lettered events back to the worker
options: --url <base URL> (or PILOT_URL), --json (machine-readable output); ADMIN_TOKEN must be set`;

class UsageError extends Error {}
const REQUEST_TIMEOUT_MS = 120_000;

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (err) {
    process.stderr.write(`pilot: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? process.stdout : process.stderr).write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  const token = process.env.ADMIN_TOKEN;
  if (!token) {
    process.stderr.write('pilot: ADMIN_TOKEN must be set (the admin token of the running service)\n');
    return 2;
  }
  const rawUrl = values.url ?? process.env.PILOT_URL ?? 'http://127.0.0.1:8000';
  let base: URL;
  try {
    base = new URL(rawUrl);
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new Error();
  } catch {
    process.stderr.write('pilot: --url / PILOT_URL: expected an http(s) URL\n');
    return 2;
  }
  const call = async (method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> => {
    const res = await fetch(new URL(path, base), {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      redirect: 'error',
    });
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try {
      json = JSON.parse(text) as Record<string, unknown>;
    } catch {
      json = { error: 'not_json', message: `HTTP ${res.status}` };
    }
    return { status: res.status, json };
  };
  const out = (human: string, json: unknown) => process.stdout.write(values.json ? `${JSON.stringify(json, null, 2)}\n` : `${human}\n`);
  const fail = (r: { status: number; json: Record<string, unknown> }) => {
    process.stderr.write(`pilot: ${r.status} ${String(r.json.error ?? '')}: ${String(r.json.message ?? '')}\n`);
    return r.status >= 500 ? 3 : r.status === 401 ? 2 : 1;
  };

  const [cmd, sub, arg] = positionals;
  try {
    if (cmd === 'tenant') {
      if (sub === 'create') {
        if (!arg) throw new UsageError('tenant create needs a tenant id');
        const r = await call('POST', '/admin/tenants', { tenantId: arg, ...(values.name ? { name: values.name } : {}) });
        if (r.status !== 201) return fail(r);
        const t = r.json;
        out(
          [
            `tenant ${String(t.tenantId)} created. Store these now: they are not shown again.`,
            `  API key:         ${String(t.apiKey)}`,
            `  signing key id:  ${String(t.keyId)}`,
            `  signing secret:  ${String(t.signingSecret)}`,
            `  flags:           ${JSON.stringify(t.flags)}`,
          ].join('\n'),
          t,
        );
        return 0;
      }
      if (sub === 'list') {
        const r = await call('GET', '/admin/tenants');
        if (r.status !== 200) return fail(r);
        const list = r.json.tenants as { tenantId: string; name: string; createdAt: string; disabledAt: string | null; signingKeyIds: string[] }[];
        out(
          list.map((t) => `${t.tenantId}\t${t.disabledAt ? `disabled ${t.disabledAt}` : 'active'}\tcreated ${t.createdAt}\tkeys ${t.signingKeyIds.join(',')}`).join('\n') ||
            '(no tenants)',
          r.json,
        );
        return 0;
      }
      if (sub === 'rotate-key' || sub === 'disable') {
        if (!arg) throw new UsageError(`tenant ${sub} needs a tenant id`);
        const r = await call('POST', `/admin/tenants/${encodeURIComponent(arg)}/${sub}`);
        if (r.status !== 200) return fail(r);
        out(
          sub === 'rotate-key'
            ? `tenant ${arg}: new API key (not shown again): ${String(r.json.apiKey)}`
            : `tenant ${arg} disabled at ${String(r.json.disabledAt)}`,
          r.json,
        );
        return 0;
      }
      throw new UsageError(`unknown tenant command: ${sub ?? '(none)'}`);
    }
    if (cmd === 'reconcile') {
      if (sub) throw new UsageError('reconcile takes no positional argument');
      const body: Record<string, unknown> = {};
      if (values.from) body.from = values.from;
      if (values.to) body.to = values.to;
      if (values['lag-sec'] !== undefined) {
        if (!/^\d{1,6}$/.test(values['lag-sec'])) throw new UsageError('--lag-sec: expected a whole number of seconds');
        body.lagSec = Number(values['lag-sec']);
      }
      const r = await call('POST', '/admin/reconcile', body);
      if (r.status === 400) {
        process.stderr.write(`pilot: ${String(r.json.message)}\n`);
        return 2;
      }
      if (r.status !== 200) return fail(r);
      const run = r.json.run as { driftRatio: number; outcome: string; source: number; enriched: number; deadLettered: number; windowFrom: string; windowTo: string };
      const tenants = r.json.tenants as { tenantId: string; source: number; driftRatio: number }[];
      out(
        [
          `reconcile ${run.outcome}: drift ${(run.driftRatio * 100).toFixed(2)} % over ${run.windowFrom} .. ${run.windowTo}`,
          `  ${run.source} source, ${run.enriched} enriched, ${run.deadLettered} dead-lettered`,
          ...tenants.map((t) => `  ${t.tenantId}: ${t.source} source, drift ${(t.driftRatio * 100).toFixed(2)} %`),
        ].join('\n'),
        r.json,
      );
      return run.outcome === 'ok' ? 0 : 1;
    }
    if (cmd === 'dead-letters') {
      const tenant = values.tenant;
      if (!tenant) throw new UsageError('dead-letters needs --tenant <id>');
      if (sub === 'list') {
        const r = await call('GET', `/admin/dead-letters?tenant=${encodeURIComponent(tenant)}`);
        if (r.status !== 200) return fail(r);
        const list = r.json.deadLetters as { eventId: string; attempts: number; lastError: string; deadLetteredAt: string }[];
        out(list.map((d) => `${d.eventId}\t${d.attempts} attempts\t${d.deadLetteredAt}\t${d.lastError}`).join('\n') || '(none)', r.json);
        return 0;
      }
      if (sub === 'requeue') {
        const r = await call('POST', '/admin/dead-letters/requeue', { tenantId: tenant, ...(values.event?.length ? { eventIds: values.event } : {}) });
        if (r.status !== 200) return fail(r);
        out(`requeued ${String(r.json.requeued)} event(s) of ${tenant}`, r.json);
        return 0;
      }
      throw new UsageError(`unknown dead-letters command: ${sub ?? '(none)'}`);
    }
    throw new UsageError(`unknown command: ${cmd}`);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`pilot: ${err.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`pilot: cannot reach the service at ${base.origin}: ${(err as Error).message}\n`);
    return 3;
  }
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      url: { type: 'string' },
      name: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      'lag-sec': { type: 'string' },
      tenant: { type: 'string' },
      event: { type: 'string', multiple: true },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: Error) => {
    process.stderr.write(`pilot: internal error: ${err.stack ?? err.message}\n`);
    process.exitCode = 70;
  },
);
