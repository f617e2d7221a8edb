/**
 * The stage 4 artifacts (`qa/stage4/v0.4.0/summary.json` and `tests.txt`) in the shape the stage 4 script
 * documented, so whatever reads them keeps working. A pure function of the report and of the check ids the
 * stage4 preset maps to the seed's four checks (`health`, `canary`, `rootHeaders`, `providerConfig`): each value
 * comes from the typed `data` of those results. Where golive deliberately differs (nearest-rank percentile), the
 * golive report says so; these files keep the seed's keys only.
 */
import type { CanaryData } from '../checks/canary.data.ts';
import type { HealthData } from '../checks/health.data.ts';
import type { ProviderConfigData } from '../checks/provider-config.data.ts';
import type { SecurityHeadersData } from '../checks/security-headers.data.ts';
import { inertText } from '../core/inert.ts';
import type { Json, Report } from '../core/result.ts';
import { type CompatChecks, type CompatFile, findResult, healthUrlOf, ms2, num, seedBaseUrl, seedTimestamp, typedData } from './compat.ts';

/** Directory of the stage 4 artifacts, relative to the compat root. */
export const STAGE4_DIR = 'qa/stage4/v0.4.0';
/** The stage name the seed wrote. */
export const STAGE4_NAME = 'Stage 4 – Production Go-Live Readiness';

/** The stage 4 summary.json document. */
export interface Stage4Summary {
  stage: string;
  timestamp: string;
  base_url: string;
  health_url: string;
  checks: {
    health: { ok: boolean; status_code: number | null; latency_ms: number | null; payload: Json };
    canary: { oks: number; count: number; p95_ms: number | null; samples: Array<{ code: number | null; latency_ms: number | null }> };
    root_headers: { ok: boolean; status_code: number | null; csp_present: boolean; csp: string | null };
    provider_config: Record<string, Json>;
    provider_issues: string[];
  };
  status: 'PASS' | 'FAIL';
}

/** The results behind the stage 4 fields. */
function stage4Results(report: Report, checks: CompatChecks) {
  return {
    health: findResult(report, checks.health),
    canary: findResult(report, checks.canary),
    headers: findResult(report, checks.rootHeaders),
    provider: findResult(report, checks.providerConfig),
  };
}

/** Builds the summary.json document of a report; `checks` maps the seed's checks to ids (the stage4 preset's). */
export function stage4Summary(report: Report, checks: CompatChecks): Stage4Summary {
  const { health, canary, headers, provider } = stage4Results(report, checks);
  const h = typedData<HealthData>(health);
  const c = typedData<CanaryData>(canary);
  const s = typedData<SecurityHeadersData>(headers);
  const p = typedData<ProviderConfigData>(provider);
  const samples: Json | undefined = c.samples;
  const config: Json | undefined = p.config;
  const issues: Json | undefined = p.issues;
  const csp = s.csp ?? s.cspReportOnly;
  const cspPresent = s.cspPresent;
  return {
    stage: STAGE4_NAME,
    timestamp: seedTimestamp(report.startedAt),
    base_url: seedBaseUrl(report.target.baseUrl),
    health_url: healthUrlOf(report, checks.health),
    checks: {
      health: {
        ok: health?.status === 'pass',
        status_code: num(h.statusCode),
        latency_ms: ms2(h.latencyMs),
        payload: h.payload ?? null,
      },
      canary: {
        oks: num(c.oks) ?? 0,
        count: num(c.count) ?? 0,
        p95_ms: ms2(c.p95Ms ?? canary?.metrics.p95Ms ?? undefined),
        samples: Array.isArray(samples)
          ? samples.map((s) => {
              const o = typeof s === 'object' && s !== null && !Array.isArray(s) ? s : {};
              return { code: num(o.code), latency_ms: ms2(o.latencyMs) };
            })
          : [],
      },
      root_headers: {
        ok: headers?.status === 'pass',
        status_code: num(s.statusCode),
        csp_present: typeof cspPresent === 'boolean' ? cspPresent : typeof csp === 'string',
        csp: typeof csp === 'string' ? csp : null,
      },
      provider_config: typeof config === 'object' && config !== null && !Array.isArray(config) ? config : {},
      provider_issues: Array.isArray(issues) ? issues.map(String) : [],
    },
    status: report.verdict === 'GO' ? 'PASS' : 'FAIL',
  };
}

const mark = (ok: boolean) => (ok ? '✅' : '❌');

/** Builds tests.txt (the seed's human-readable summary). */
export function stage4Text(report: Report, checks: CompatChecks, s: Stage4Summary = stage4Summary(report, checks)): string {
  const c = s.checks;
  const { health, canary, headers, provider } = stage4Results(report, checks);
  const healthLine = c.health.ok
    ? `Health Check: PASS (${c.health.latency_ms ?? '?'}ms)`
    : `Health Check: FAIL (${health ? health.summary : 'not run'})`;
  const canaryOk = canary?.status === 'pass';
  const canaryLine = `Canary Pings: ${c.canary.oks}/${c.canary.count} succeed, p95: ${c.canary.p95_ms ?? '?'}ms${canaryOk ? '' : ` — FAIL (${canary ? canary.summary : 'not run'})`}`;
  const headersLine = c.root_headers.ok
    ? `Root Headers: CSP present${headers?.warnings.length ? ' (report-only)' : ''}`
    : `Root Headers: FAIL (${headers ? headers.summary : 'not run'})`;
  const providerOk = provider !== undefined && (provider.status === 'pass' || provider.level === 'warn');
  const providerLine =
    provider?.status === 'pass' && c.provider_issues.length === 0
      ? 'Provider Config: OK'
      : providerOk
        ? `Provider Config: OK (advisory: ${c.provider_issues.length} issue${c.provider_issues.length === 1 ? '' : 's'}${c.provider_issues.length ? `: ${c.provider_issues.join('; ')}` : ''})`
        : `Provider Config: FAIL (${c.provider_issues.join('; ') || (provider ? provider.summary : 'not run')})`;
  return [
    STAGE4_NAME,
    `Timestamp: ${s.timestamp}`,
    `Base URL: ${s.base_url}`,
    '',
    `${mark(c.health.ok)} ${healthLine}`,
    `${mark(canaryOk)} ${canaryLine}`,
    `${mark(c.root_headers.ok)} ${headersLine}`,
    `${mark(providerOk)} ${providerLine}`,
    '',
    `Status: ${s.status}`,
    '',
  ].join('\n');
}

/** The stage 4 files of a report. */
export function renderStage4(report: Report, checks: CompatChecks): CompatFile[] {
  const summary = stage4Summary(report, checks);
  return [
    { path: `${STAGE4_DIR}/summary.json`, content: `${JSON.stringify(summary, null, 2)}\n` },
    { path: `${STAGE4_DIR}/tests.txt`, content: inertText(stage4Text(report, checks, summary)) },
  ];
}
