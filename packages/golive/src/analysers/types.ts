/**
 * Shared types of the security analysers. Everything here is plain data so an analysis can be stored in a
 * report and recomputed from a recorded response without a network.
 */
import type { Grade, ObservatoryTest } from './scoring.ts';

/** Response headers as recorded: names in any case, repeated headers as arrays. */
export type HeaderMap = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A recorded HTTP response: enough to analyse its security headers. */
export interface RecordedResponse {
  /** Final URL of the response (its scheme and host decide which tests apply). */
  url: string;
  status: number;
  headers: HeaderMap;
  /** Body text (HTML for meta policies and Subresource Integrity); optional. */
  body?: string | Uint8Array;
}

/** How one http:// request to the host was answered, for the redirection test. */
export interface RedirectionRecord {
  /** The http:// URL requested first. */
  startUrl: string;
  /** Each redirect followed, in order. */
  hops: ReadonlyArray<{ status: number; location: string }>;
  /** The final answer; absent when the http request failed. */
  final?: { url: string; status: number };
  /** Why the chain ended without an answer (`refused`: nothing listens on http, `tls`: an invalid certificate). */
  error?: 'refused' | 'tls' | 'timeout' | 'other';
}

/** An answer to a request that carried a probe `Origin`, for the CORS test. */
export interface CorsProbeRecord {
  /** The Origin that was sent. */
  origin: string;
  /** Headers of the answer (a simple request or a preflight). */
  headers: HeaderMap;
}

/** Input of `analyzeHeaders`. */
export interface AnalyzeInput extends RecordedResponse {
  /** The answer to a request carrying a probe Origin; when absent the response's own CORS headers are judged. */
  cors?: CorsProbeRecord;
  /** The http → https redirection chain; when absent the redirection test is not evaluated. */
  redirection?: RedirectionRecord;
  /**
   * Whether https-only tests apply. Default: yes, except for a plain http URL on a loopback host
   * (127.0.0.0/8, ::1, localhost), where they are reported as not applicable.
   */
  httpsApplicable?: boolean;
  /** Whether the host is on the HSTS preload list (golive cannot fetch the list; default false). */
  hstsPreloaded?: boolean;
  /** Minimum HSTS max-age golive's own rule requires (seconds, default one year). */
  hstsMinMaxAgeSeconds?: number;
}

/** Severity of a finding: `error` gates, `warn` is reported. */
export type FindingSeverity = 'error' | 'warn';

/** One problem golive found, with a stable code (documented in docs/checks.md) and its evidence. */
export interface Finding {
  /** UPPER_SNAKE code, e.g. `CSP_SCRIPT_UNSAFE_INLINE`. */
  code: string;
  severity: FindingSeverity;
  /** The Observatory test it relates to, when there is one. */
  test?: ObservatoryTest;
  /** The header concerned (lower case), when there is one. */
  header?: string;
  /** One sentence naming the header and the value seen. */
  message: string;
}

/** Plain JSON data a test reports (the parsed values it judged). */
export type TestDataValue = string | number | boolean | null | TestDataValue[] | { [key: string]: TestDataValue };

/** The outcome of one Observatory test. */
export interface TestResult {
  test: ObservatoryTest;
  /** The Observatory's result name, or `not-applicable` / `not-evaluated`. */
  result: string;
  /** Score modifier (0 when not applicable). */
  modifier: number;
  /**
   * The Observatory's pass flag for the result (not the same as "no penalty": e.g.
   * `csp-implemented-with-insecure-scheme-in-passive-content-only` passes at -10; false when not applicable).
   */
  pass: boolean;
  /** False when the test does not apply (https-only test on a loopback http target) or was not evaluated. */
  applicable: boolean;
  /** One sentence explaining the result. */
  description: string;
  /**
   * What the test parsed, with the Observatory's field names (camelCase): e.g. the merged CSP per directive,
   * `numPolicies`, the HSTS `maxAge` / `includeSubDomains` / `preload`, each cookie's attributes (never its
   * value), the Referrer-Policy sources `http` / `meta`, the redirection `route`.
   */
  data: { [key: string]: TestDataValue };
}

/** What the CSP analysis found (combined over every enforced policy). */
export interface CspSummary {
  /** Enforced policy texts (headers), as received. */
  header: string[];
  /** Report-only policy texts. */
  reportOnly: string[];
  /** Policies from `<meta http-equiv="Content-Security-Policy">`. */
  meta: string[];
  /** Properties of the effective policy (true means the risk exists in every enforced policy). */
  policy: {
    unsafeInline: boolean;
    unsafeEval: boolean;
    broadScriptSources: boolean;
    unsafeObjects: boolean;
    unsafeInlineStyle: boolean;
    insecureSchemeActive: boolean;
    insecureSchemePassive: boolean;
    strictDynamic: boolean;
    defaultNone: boolean;
    antiClickjacking: boolean;
    insecureBaseUri: boolean;
    insecureFormAction: boolean;
  } | null;
}

/** The analysis of one response. */
export interface SecurityAnalysis {
  url: string;
  status: number;
  /** Observatory-compatible score (bonuses only from 90) and grade. */
  score: number;
  grade: Grade;
  /** Every test, by name. */
  tests: Record<ObservatoryTest, TestResult>;
  /** golive's findings (Observatory-scored problems and golive's extra rules). */
  findings: Finding[];
  csp: CspSummary;
  /** Whether the https-only tests applied. */
  httpsApplicable: boolean;
  /** The version of the Observatory's scoring algorithm the score follows. */
  algorithmVersion: number;
  /** Tests whose pass flag is set / not set, and how many tests there are (the Observatory's scan fields). */
  testsPassed: number;
  testsFailed: number;
  testsQuantity: number;
  /** The response headers, names lower case, repeated headers joined with `, `, credentials redacted. */
  responseHeaders: Record<string, string>;
}
