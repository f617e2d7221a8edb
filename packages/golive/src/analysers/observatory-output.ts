/**
 * The analysis of one response in the shape of the HTTP Observatory's v2 analyze response
 * (`{ history, scan, tests }`), so that tools and people who read the Observatory's output can read
 * golive's: `scan` carries the algorithm version, grade, score, status code, tests passed / failed /
 * quantity and the (redacted) response headers; each test carries the Observatory's fields (`expectation`,
 * `name`, `title`, `link`, `pass`, `result`, `score_modifier`, `score_description`) and its parsed data in
 * snake_case (`data`, `http`, `meta`, `num_policies`, `policy`, `max_age`, `include_sub_domains`, …).
 */
import { ALGORITHM_VERSION, type ObservatoryTest, OBSERVATORY_TESTS } from './scoring.ts';
import type { SecurityAnalysis, TestDataValue } from './types.ts';

/** What the Observatory expects of each test (the `expectation` field of its output). */
const EXPECTATIONS: Record<ObservatoryTest, string> = {
  'content-security-policy': 'csp-implemented-with-no-unsafe',
  cookies: 'cookies-secure-with-httponly-sessions',
  'cross-origin-resource-sharing': 'cross-origin-resource-sharing-not-implemented',
  redirection: 'redirection-to-https',
  'referrer-policy': 'referrer-policy-private',
  'strict-transport-security': 'hsts-implemented-max-age-at-least-six-months',
  'subresource-integrity': 'sri-implemented-and-external-scripts-loaded-securely',
  'x-content-type-options': 'x-content-type-options-nosniff',
  'x-frame-options': 'x-frame-options-sameorigin-or-deny',
  'cross-origin-resource-policy': 'corp-implemented-with-same-site',
  'cross-origin-opener-policy': 'coop-not-implemented',
  'cross-origin-embedder-policy': 'coep-not-implemented',
};

const TITLES: Record<ObservatoryTest, string> = {
  'content-security-policy': 'Content Security Policy (CSP)',
  cookies: 'Cookies',
  'cross-origin-resource-sharing': 'Cross Origin Resource Sharing (CORS)',
  redirection: 'Redirection',
  'referrer-policy': 'Referrer Policy',
  'strict-transport-security': 'Strict Transport Security (HSTS)',
  'subresource-integrity': 'Subresource Integrity',
  'x-content-type-options': 'X-Content-Type-Options',
  'x-frame-options': 'X-Frame-Options',
  'cross-origin-resource-policy': 'Cross Origin Resource Policy',
  'cross-origin-opener-policy': 'Cross Origin Opener Policy',
  'cross-origin-embedder-policy': 'Cross Origin Embedder Policy',
};

const MDN = 'https://developer.mozilla.org/en-US/docs/';
const LINKS: Record<ObservatoryTest, string> = {
  'content-security-policy': `${MDN}Web/HTTP/Guides/CSP`,
  cookies: `${MDN}Web/HTTP/Guides/Cookies`,
  'cross-origin-resource-sharing': `${MDN}Web/HTTP/Guides/CORS`,
  redirection: `${MDN}Web/Security/Practical_implementation_guides/TLS#http_redirections`,
  'referrer-policy': `${MDN}Web/HTTP/Reference/Headers/Referrer-Policy`,
  'strict-transport-security': `${MDN}Web/HTTP/Reference/Headers/Strict-Transport-Security`,
  'subresource-integrity': `${MDN}Web/Security/Subresource_Integrity`,
  'x-content-type-options': `${MDN}Web/HTTP/Reference/Headers/X-Content-Type-Options`,
  'x-frame-options': `${MDN}Web/HTTP/Reference/Headers/X-Frame-Options`,
  'cross-origin-resource-policy': `${MDN}Web/HTTP/Reference/Headers/Cross-Origin-Resource-Policy`,
  'cross-origin-opener-policy': `${MDN}Web/HTTP/Reference/Headers/Cross-Origin-Opener-Policy`,
  'cross-origin-embedder-policy': `${MDN}Web/HTTP/Reference/Headers/Cross-Origin-Embedder-Policy`,
};

/** Results whose pass flag the Observatory reports as null ("not applicable"). */
const PASS_NOT_APPLICABLE = new Set([
  'referrer-policy-not-implemented',
  'sri-not-implemented-response-not-html',
  'sri-not-implemented-but-no-scripts-loaded',
  'sri-not-implemented-but-all-scripts-loaded-from-secure-origin',
  'cookies-not-found',
  'corp-not-implemented',
  'not-applicable',
  'not-evaluated',
]);

/** What each CSP policy flag means, for the `policy` object of the CSP test. */
const POLICY_DESCRIPTIONS: Record<string, string> = {
  antiClickjacking: 'Clickjacking protection with frame-ancestors',
  defaultNone: "Deny by default with default-src 'none'",
  insecureBaseUri: "Restricts <base> with base-uri 'none', 'self' or specific origins",
  insecureFormAction: "Restricts where forms submit with form-action 'none', 'self' or specific URIs",
  insecureSchemeActive: 'Blocks active content over HTTP or FTP',
  insecureSchemePassive: 'Blocks passive content over HTTP or FTP',
  strictDynamic: "Uses 'strict-dynamic' for dynamic script loading (optional)",
  unsafeEval: "Blocks eval() by not allowing 'unsafe-eval'",
  unsafeInline: "Blocks inline scripts by not allowing 'unsafe-inline'",
  unsafeInlineStyle: "Blocks inline styles by not allowing 'unsafe-inline' in style-src",
  unsafeObjects: 'Blocks plug-ins with object-src restrictions',
};

/** camelCase → snake_case, for the test fields lifted into the output (`numPolicies` → `num_policies`). */
function snake(key: string): string {
  return key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** The Observatory's v2 analyze response, as plain JSON. */
export interface ObservatoryAnalyzeResponse {
  history: Array<{ id: number; scanned_at: string; grade: string | null; score: number | null }>;
  scan: {
    algorithm_version: number;
    scanned_at: string;
    error: string | null;
    grade: string | null;
    response_headers: Record<string, string> | null;
    score: number | null;
    status_code: number | null;
    tests_failed: number;
    tests_passed: number;
    tests_quantity: number;
  };
  tests: Record<string, { [key: string]: TestDataValue }>;
  /** Where the document came from (not part of the Observatory's output; readers ignore unknown fields). */
  golive: { url: string; note: string };
}

/**
 * Renders an analysis as the Observatory's analyze response.
 * @param scannedAt ISO time of the scan
 */
export function toObservatoryResponse(analysis: SecurityAnalysis, scannedAt: string): ObservatoryAnalyzeResponse {
  const tests: ObservatoryAnalyzeResponse['tests'] = {};
  for (const name of OBSERVATORY_TESTS) {
    const t = analysis.tests[name];
    const out: { [key: string]: TestDataValue } = {
      expectation: EXPECTATIONS[name],
      name,
      link: LINKS[name],
      title: TITLES[name],
      pass: PASS_NOT_APPLICABLE.has(t.result) ? null : t.pass,
      result: t.result,
      score_description: t.description,
      score_modifier: t.modifier,
    };
    for (const [k, v] of Object.entries(t.data)) {
      if (k === 'policy' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        // The Observatory hydrates the CSP flags into { pass, description } items; strictDynamic false is "not applicable".
        const policy: { [key: string]: TestDataValue } = {};
        for (const [flag, value] of Object.entries(v)) {
          policy[flag] = { pass: flag === 'strictDynamic' && value === false ? null : value, description: POLICY_DESCRIPTIONS[flag] ?? flag };
        }
        out.policy = policy;
      } else out[snake(k)] = v;
    }
    tests[name] = out;
  }
  return {
    history: [],
    scan: {
      algorithm_version: ALGORITHM_VERSION,
      scanned_at: scannedAt,
      error: null,
      grade: analysis.grade,
      response_headers: analysis.responseHeaders,
      score: analysis.score,
      status_code: analysis.status,
      tests_failed: analysis.testsFailed,
      tests_passed: analysis.testsPassed,
      tests_quantity: analysis.testsQuantity,
    },
    tests,
    golive: { url: analysis.url, note: 'Written by golive from its own analysis, in the shape of the HTTP Observatory v2 analyze response.' },
  };
}
