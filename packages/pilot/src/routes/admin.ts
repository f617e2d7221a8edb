import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { sendError } from '../lib/http-errors.ts';
import { adminGuard } from '../lib/ops-auth.ts';
import { enrichmentStatus, listDeadLetters, requeueDeadLetters } from '../services/enrichment.ts';
import { changeFlags, type Flags, flagsPatch, readFlagAudit, readFlags } from '../services/flags.ts';
import {
  latestReconcileRun,
  type ReconcileRun,
  ReconcileBusyError,
  reconcile,
  reconcileTenantResults,
  type TenantDrift,
} from '../services/reconcile.ts';
import {
  createTenant,
  disableTenant,
  listTenants,
  rotateApiKey,
  TENANT_ID,
  TenantExistsError,
  TenantNotFoundError,
} from '../services/tenants.ts';
import { describe } from './web.ts';

const SESSION_COOKIE = 'pilot_admin_session';
const LOGIN_COOKIE = 'pilot_admin_login';
const SESSION_TTL_SEC = 3600;
/** Largest form body of the admin page (a token and three flags fit many times over). */
const FORM_LIMIT_BYTES = 4096;

const tenantBody = z
  .object({ tenantId: z.string().regex(TENANT_ID, 'expected 1-64 characters of A-Z a-z 0-9 _ . -'), name: z.string().min(1).max(200).optional() })
  .strict();
const isoDate = z.iso.datetime({ offset: true });
const reconcileBody = z
  .object({ from: isoDate.optional(), to: isoDate.optional(), lagSec: z.number().int().min(0).max(86_400).optional() })
  .strict()
  .refine((o) => !o.from || !o.to || Date.parse(o.from) < Date.parse(o.to), { message: 'from must be before to', path: ['from'] });
const requeueBody = z
  .object({ tenantId: z.string().regex(TENANT_ID), eventIds: z.array(z.uuid()).min(1).max(1000).optional() })
  .strict();

/** The health card's figures: latest reconcile run, per-tenant drift, dead letters and lag. */
export interface HealthCard {
  reconcile: (ReconcileRun & { tenants: number }) | null;
  tenantDrift: TenantDrift[];
  deadLetterEvents: number;
  enrichmentLagSeconds: number;
  driftThreshold: number;
}

/**
 * Admin surfaces: the JSON API (`Authorization: Bearer <ADMIN_TOKEN>`) used by the `pilot` CLI for
 * tenants, reconcile and dead letters (it goes through the running service, so it works with PGlite's
 * single writer), and the server-rendered admin page at `/admin` (token form, session cookie, CSRF).
 */
export async function adminRoutes(app: FastifyInstance): Promise<void> {
  const { db, config, metrics, tenants, rateLimits } = app.pilot;
  const guard = adminGuard(config);

  const healthCard = async (): Promise<HealthCard> => {
    const run = await latestReconcileRun(db);
    // From the database, not this instance's gauges: the instance serving the page may not run the worker.
    const status = await enrichmentStatus(db);
    return {
      reconcile: run ?? null,
      tenantDrift: run ? await reconcileTenantResults(db, run.id) : [],
      deadLetterEvents: status.deadLetterEvents,
      enrichmentLagSeconds: status.lagSeconds,
      driftThreshold: config.reconcileDriftThreshold,
    };
  };

  // ── JSON API
  await app.register(async (api) => {
    api.addHook('onRequest', guard);
    api.addHook('onSend', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
    });

    api.post('/admin/tenants', async (req, reply) => {
      const p = tenantBody.safeParse(req.body);
      if (!p.success) return sendError(reply, 400, 'body_invalid', describe(p.error));
      try {
        const t = await createTenant(db, { tenantId: p.data.tenantId, ...(p.data.name ? { name: p.data.name } : {}) });
        req.log.info({ tenant: t.tenantId }, 'tenant created');
        return reply.code(201).send(t);
      } catch (err) {
        if (err instanceof TenantExistsError) return sendError(reply, 409, err.code, err.message);
        throw err;
      }
    });
    api.get('/admin/tenants', async () => ({ tenants: await listTenants(db) }));
    const tenantAction = (fn: (id: string) => Promise<object>, what: string) => async (req: FastifyRequest, reply: FastifyReply) => {
      const id = (req.params as { id: string }).id;
      if (!TENANT_ID.test(id)) return sendError(reply, 400, 'tenant_invalid', 'tenant id: expected 1-64 characters of A-Z a-z 0-9 _ . -');
      try {
        const r = await fn(id);
        tenants.invalidate();
        req.log.info({ tenant: id }, what);
        return r;
      } catch (err) {
        if (err instanceof TenantNotFoundError) return sendError(reply, 404, err.code, err.message);
        throw err;
      }
    };
    api.post('/admin/tenants/:id/rotate-key', tenantAction((id) => rotateApiKey(db, id), 'tenant API key rotated'));
    api.post('/admin/tenants/:id/disable', tenantAction((id) => disableTenant(db, id), 'tenant disabled'));

    api.post('/admin/reconcile', async (req, reply) => {
      const p = reconcileBody.safeParse(req.body ?? {});
      if (!p.success) return sendError(reply, 400, 'body_invalid', describe(p.error));
      const to = p.data.to ? new Date(p.data.to) : new Date();
      const from = p.data.from ? new Date(p.data.from) : new Date(to.getTime() - config.reconcileWindowSec * 1000);
      try {
        const r = await reconcile(db, metrics, {
          from,
          to,
          lagAllowedSec: p.data.lagSec ?? config.reconcileLagSec,
          driftThreshold: config.reconcileDriftThreshold,
          trigger: 'manual',
        });
        return r;
      } catch (err) {
        if (err instanceof ReconcileBusyError) {
          reply.header('retry-after', '5');
          return sendError(reply, 409, 'reconcile_busy', err.message);
        }
        throw err;
      }
    });
    api.get('/admin/health', async () => healthCard());

    api.get('/admin/dead-letters', async (req, reply) => {
      const tenant = (req.query as Record<string, unknown>).tenant;
      if (typeof tenant !== 'string' || !TENANT_ID.test(tenant)) return sendError(reply, 400, 'tenant_invalid', 'tenant: expected a tenant id');
      return { tenantId: tenant, deadLetters: await listDeadLetters(db, tenant) };
    });
    api.post('/admin/dead-letters/requeue', async (req, reply) => {
      const p = requeueBody.safeParse(req.body);
      if (!p.success) return sendError(reply, 400, 'body_invalid', describe(p.error));
      const n = await requeueDeadLetters(db, p.data.tenantId, p.data.eventIds);
      req.log.info({ tenant: p.data.tenantId, requeued: n }, 'dead letters requeued');
      return { tenantId: p.data.tenantId, requeued: n };
    });
  });

  // ── the admin page (HTML forms)
  await app.register(async (page) => {
    page.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT_BYTES }, (_req, body, done) => {
      const out: Record<string, string> = {};
      for (const [k, v] of new URLSearchParams(body as string)) out[k] = v;
      done(null, out);
    });
    page.addHook('onSend', async (_req, reply) => {
      reply.header('cache-control', 'no-store');
    });

    // Keys derived from the admin token: rotating ADMIN_TOKEN ends every session. Stateless, so every
    // instance behind a load balancer accepts the same session.
    const key = createHash('sha256').update(`pilot-admin-page\0${config.adminToken}`).digest();
    const mac = (s: string) => createHmac('sha256', key).update(s).digest('base64url');
    const same = (a: string, b: string) => {
      const x = Buffer.from(a);
      const y = Buffer.from(b);
      return x.length === y.length && timingSafeEqual(x, y);
    };
    const cookieOptions = { path: '/admin', httpOnly: true, secure: true, sameSite: 'strict' as const };
    const tokenDigest = createHash('sha256').update(config.adminToken).digest();

    const session = (req: FastifyRequest): string | undefined => {
      const c = req.cookies[SESSION_COOKIE];
      if (!c || c.length > 200) return undefined;
      const [exp, nonce, sig] = c.split('.');
      if (!exp || !nonce || !sig || !/^\d{1,12}$/.test(exp)) return undefined;
      if (Number(exp) < Date.now() / 1000) return undefined;
      return same(sig, mac(`session.${exp}.${nonce}`)) ? c : undefined;
    };
    const csrfFor = (s: string) => mac(`csrf.${s}`);
    const loginCsrf = (nonce: string) => mac(`login.${nonce}`);

    const html = (reply: FastifyReply, status: number, title: string, body: string) =>
      reply.code(status).type('text/html; charset=utf-8').send(layout(title, body));
    const problem = (reply: FastifyReply, status: number, field: string, message: string) =>
      html(reply, status, 'pilot admin: refused', `<h1>Refused</h1><p class="error" data-field="${esc(field)}">${esc(field)}: ${esc(message)}</p><p><a href="/admin">Back</a></p>`);

    page.get('/admin', async (req, reply) => {
      const s = session(req);
      if (!s) {
        const nonce = randomBytes(18).toString('base64url');
        reply.setCookie(LOGIN_COOKIE, nonce, { ...cookieOptions, maxAge: 900 });
        return html(reply, 200, 'pilot admin: sign in', loginForm(loginCsrf(nonce)));
      }
      const [flags, audit, card] = await Promise.all([readFlags(db), readFlagAudit(db, 10), healthCard()]);
      return html(reply, 200, 'pilot admin', dashboard(flags, audit, card, csrfFor(s)));
    });

    page.post('/admin/login', async (req, reply) => {
      const form = (req.body ?? {}) as Record<string, string>;
      const nonce = req.cookies[LOGIN_COOKIE];
      if (typeof form.csrf !== 'string' || !nonce || !same(form.csrf, loginCsrf(nonce))) {
        return problem(reply, 403, 'csrf', 'missing or invalid CSRF token; reload the page');
      }
      const wait = await rateLimits.authBlocked(req);
      if (wait !== undefined) {
        reply.header('retry-after', String(wait));
        return problem(reply, 429, 'token', `too many failed attempts; retry in ${wait} s`);
      }
      const token = typeof form.token === 'string' ? form.token : '';
      const ok = token.length > 0 && token.length <= 512 && !config.adminTokenGenerated && timingSafeEqual(createHash('sha256').update(token).digest(), tokenDigest);
      if (!ok) {
        await rateLimits.authFailed(req);
        req.log.warn('admin page: wrong token');
        return problem(reply, 401, 'token', token ? 'wrong admin token' : 'the admin token is required');
      }
      const exp = Math.floor(Date.now() / 1000) + SESSION_TTL_SEC;
      const n = randomBytes(18).toString('base64url');
      reply.setCookie(SESSION_COOKIE, `${exp}.${n}.${mac(`session.${exp}.${n}`)}`, { ...cookieOptions, maxAge: SESSION_TTL_SEC });
      reply.clearCookie(LOGIN_COOKIE, cookieOptions);
      return reply.code(303).header('location', '/admin').send();
    });

    const authed = (req: FastifyRequest, reply: FastifyReply, form: Record<string, string>): boolean => {
      const s = session(req);
      if (!s) {
        problem(reply, 401, 'session', 'sign in first (no valid admin session)');
        return false;
      }
      if (typeof form.csrf !== 'string' || !same(form.csrf, csrfFor(s))) {
        problem(reply, 403, 'csrf', 'missing or invalid CSRF token; reload the page');
        return false;
      }
      return true;
    };

    page.post('/admin/flags', async (req, reply) => {
      const form = (req.body ?? {}) as Record<string, string>;
      if (!authed(req, reply, form)) return reply;
      const patch: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(form)) {
        if (k === 'csrf' || v === '') continue;
        if (k === 'syncEnabled') patch[k] = v === 'true' ? true : v === 'false' ? false : v;
        else patch[k] = /^-?\d{1,15}$/.test(v) ? Number(v) : v;
      }
      const p = flagsPatch.safeParse(patch);
      if (!p.success) {
        const field = p.error.issues[0]?.path.join('.') || 'flags';
        return problem(reply, 400, field, describe(p.error));
      }
      const next = await changeFlags(db, p.data, 'admin-page');
      metrics.syncEnabled.set(next.syncEnabled ? 1 : 0);
      req.log.info({ flags: p.data }, 'flags changed');
      return reply.code(303).header('location', '/admin').send();
    });

    page.post('/admin/logout', async (req, reply) => {
      const form = (req.body ?? {}) as Record<string, string>;
      if (!authed(req, reply, form)) return reply;
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return reply.code(303).header('location', '/admin').send();
    });
  });
}

/** Escapes text for HTML content and attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function layout(title: string, body: string): string {
  // No inline script or style: the page lives under the same strict CSP as every pilot answer.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${esc(title)}</title></head>
<body>${body}</body></html>`;
}

function loginForm(csrf: string): string {
  return `<h1>pilot admin</h1>
<form method="post" action="/admin/login" id="login">
<input type="hidden" name="csrf" value="${esc(csrf)}">
<label>Admin token <input type="password" name="token" autocomplete="current-password" required maxlength="512"></label>
<button type="submit">Sign in</button>
</form>`;
}

const pct = (r: number) => `${(r * 100).toFixed(2)} %`;

function dashboard(flags: Flags, audit: Awaited<ReturnType<typeof readFlagAudit>>, card: HealthCard, csrf: string): string {
  const r = card.reconcile;
  const health = r
    ? `<p>Last reconcile: <time id="last-reconcile" datetime="${esc(r.finishedAt)}">${esc(r.finishedAt)}</time> (${esc(r.trigger)}),
 window ${esc(r.windowFrom)} to ${esc(r.windowTo)}</p>
<p>Drift: <strong id="drift" data-outcome="${esc(r.outcome)}">${pct(r.driftRatio)}</strong> (${esc(r.outcome)}; alert above ${pct(card.driftThreshold)}):
 ${r.source} source events, ${r.enriched} enriched, ${r.deadLettered} dead-lettered</p>
<table><thead><tr><th>Tenant</th><th>Source</th><th>Enriched</th><th>Dead-lettered</th><th>Drift</th></tr></thead><tbody>
${card.tenantDrift.map((t) => `<tr><td>${esc(t.tenantId)}</td><td>${t.source}</td><td>${t.enriched}</td><td>${t.deadLettered}</td><td>${pct(t.driftRatio)}</td></tr>`).join('\n')}
</tbody></table>`
    : '<p id="last-reconcile">No reconcile run yet.</p>';
  const sel = (v: boolean) => (flags.syncEnabled === v ? ' selected' : '');
  return `<h1>pilot admin</h1>
<section id="health"><h2>Health</h2>
${health}
<p>Dead-letter queue: <span id="dead-letters">${card.deadLetterEvents}</span> events; enrichment lag: <span id="lag">${card.enrichmentLagSeconds.toFixed(0)}</span> s</p>
</section>
<section id="flags"><h2>Runtime flags</h2>
<form method="post" action="/admin/flags" id="flags-form">
<input type="hidden" name="csrf" value="${esc(csrf)}">
<label>syncEnabled <select name="syncEnabled"><option value="true"${sel(true)}>true</option><option value="false"${sel(false)}>false</option></select></label>
<label>minIntervalSec <input type="number" name="minIntervalSec" min="1" max="86400" value="${flags.minIntervalSec}"></label>
<label>retryCap <input type="number" name="retryCap" min="0" max="100" value="${flags.retryCap}"></label>
<button type="submit">Save</button>
</form>
<h3>Changes</h3>
<table><thead><tr><th>When</th><th>Where</th><th>Before</th><th>After</th></tr></thead><tbody>
${audit.map((a) => `<tr><td>${esc(a.changedAt)}</td><td>${esc(a.actor)}</td><td>${esc(JSON.stringify(a.oldFlags))}</td><td>${esc(JSON.stringify(a.newFlags))}</td></tr>`).join('\n')}
</tbody></table>
</section>
<form method="post" action="/admin/logout"><input type="hidden" name="csrf" value="${esc(csrf)}"><button type="submit">Sign out</button></form>`;
}
