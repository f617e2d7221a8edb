/**
 * The HTTP Observatory's scoring model: every test ends in one named result, each result carries a score
 * modifier, the score starts at 100, penalties always apply, bonuses (positive modifiers) only when the score
 * without bonuses is at least 90, and the grade comes from the score in 5-point steps.
 * Result names and modifiers follow the Observatory's published table so that teams can compare figures.
 */

/** The Observatory's tests, by their names. */
export const OBSERVATORY_TESTS = [
  'content-security-policy',
  'cookies',
  'cross-origin-resource-sharing',
  'redirection',
  'referrer-policy',
  'strict-transport-security',
  'subresource-integrity',
  'x-content-type-options',
  'x-frame-options',
  'cross-origin-resource-policy',
  'cross-origin-opener-policy',
  'cross-origin-embedder-policy',
] as const;

/**
 * The version of the Observatory's scoring algorithm these tables follow. Version 5 gave
 * `X-Frame-Options: DENY / SAMEORIGIN` +5; version 6 added the Cross-Origin-Opener-Policy and
 * Cross-Origin-Embedder-Policy tests and made a repeated Cross-Origin-Resource-Policy header invalid.
 */
export const ALGORITHM_VERSION = 6;

/** One of the Observatory's tests. */
export type ObservatoryTest = (typeof OBSERVATORY_TESTS)[number];

/** Result name → score modifier, per test (the Observatory's table). */
export const SCORE_TABLE = {
  'content-security-policy': {
    'csp-implemented-with-no-unsafe-default-src-none': 10,
    'csp-implemented-with-no-unsafe': 5,
    'csp-implemented-with-unsafe-inline-in-style-src-only': 0,
    'csp-implemented-with-insecure-scheme-in-passive-content-only': -10,
    'csp-implemented-with-unsafe-eval': -10,
    'csp-implemented-with-unsafe-inline': -20,
    'csp-implemented-with-insecure-scheme': -20,
    'csp-header-invalid': -25,
    'csp-not-implemented': -25,
    'csp-not-implemented-but-reporting-enabled': -25,
    'csp-implemented-but-duplicate-directives': 0,
  },
  cookies: {
    'cookies-secure-with-httponly-sessions-and-samesite': 5,
    'cookies-secure-with-httponly-sessions': 0,
    'cookies-not-found': 0,
    'cookies-without-secure-flag-but-protected-by-hsts': -5,
    'cookies-session-without-secure-flag-but-protected-by-hsts': -10,
    'cookies-samesite-flag-invalid': -20,
    'cookies-anticsrf-without-samesite-flag': -20,
    'cookies-without-secure-flag': -20,
    'cookies-session-without-httponly-flag': -30,
    'cookies-session-without-secure-flag': -40,
  },
  'cross-origin-resource-sharing': {
    'cross-origin-resource-sharing-not-implemented': 0,
    'cross-origin-resource-sharing-implemented-with-public-access': 0,
    'cross-origin-resource-sharing-implemented-with-restricted-access': 0,
    'cross-origin-resource-sharing-implemented-with-universal-access': -50,
  },
  redirection: {
    'redirection-all-redirects-preloaded': 0,
    'redirection-to-https': 0,
    'redirection-not-needed-no-http': 0,
    'redirection-off-host-from-http': -5,
    'redirection-not-to-https-on-initial-redirection': -10,
    'redirection-not-to-https': -20,
    'redirection-missing': -20,
    'redirection-invalid-cert': -20,
  },
  'referrer-policy': {
    'referrer-policy-private': 5,
    'referrer-policy-not-implemented': 0,
    'referrer-policy-unsafe': -5,
    'referrer-policy-header-invalid': -5,
  },
  'strict-transport-security': {
    'hsts-preloaded': 5,
    'hsts-implemented-max-age-at-least-six-months': 0,
    'hsts-implemented-max-age-less-than-six-months': -10,
    'hsts-not-implemented': -20,
    'hsts-header-invalid': -20,
    'hsts-not-implemented-no-https': -20,
    'hsts-invalid-cert': -20,
  },
  'subresource-integrity': {
    'sri-implemented-and-all-scripts-loaded-securely': 5,
    'sri-implemented-and-external-scripts-loaded-securely': 5,
    'sri-not-implemented-response-not-html': 0,
    'sri-not-implemented-but-no-scripts-loaded': 0,
    'sri-not-implemented-but-all-scripts-loaded-from-secure-origin': 0,
    'sri-not-implemented-but-external-scripts-loaded-securely': -5,
    'sri-implemented-but-external-scripts-not-loaded-securely': -20,
    'sri-not-implemented-and-external-scripts-not-loaded-securely': -50,
  },
  'x-content-type-options': {
    'x-content-type-options-nosniff': 0,
    'x-content-type-options-not-implemented': -5,
    'x-content-type-options-header-invalid': -5,
  },
  'x-frame-options': {
    'x-frame-options-implemented-via-csp': 5,
    'x-frame-options-sameorigin-or-deny': 5,
    'x-frame-options-allow-from-origin': 0,
    'x-frame-options-not-implemented': -20,
    'x-frame-options-header-invalid': -20,
  },
  'cross-origin-resource-policy': {
    'corp-implemented-with-same-origin': 10,
    'corp-implemented-with-same-site': 10,
    'corp-implemented-with-cross-origin': 0,
    'corp-not-implemented': 0,
    'corp-header-invalid': -5,
  },
  'cross-origin-opener-policy': {
    'coop-implemented-with-same-origin': 10,
    'coop-implemented-with-same-origin-allow-popups': 10,
    'coop-implemented-with-noopener-allow-popups': 10,
    'coop-implemented-with-unsafe-none': 0,
    'coop-not-implemented': 0,
    'coop-header-invalid': -5,
  },
  'cross-origin-embedder-policy': {
    'coep-implemented-with-require-corp': 10,
    'coep-implemented-with-credentialless': 10,
    'coep-implemented-with-unsafe-none': 0,
    'coep-not-implemented': 0,
    'coep-header-invalid': -5,
  },
} as const satisfies Record<ObservatoryTest, Record<string, number>>;

/**
 * Results for which the Observatory sets a test's `pass` flag. It is not "no penalty": e.g.
 * `csp-implemented-with-insecure-scheme-in-passive-content-only` (-10) passes, `cookies-secure-with-httponly-sessions`
 * passes while `csp-implemented-with-unsafe-eval` does not.
 */
export const PASSING_RESULTS: { readonly [T in ObservatoryTest]: ReadonlyArray<keyof (typeof SCORE_TABLE)[T]> } = {
  'content-security-policy': [
    'csp-implemented-with-no-unsafe',
    'csp-implemented-with-no-unsafe-default-src-none',
    'csp-implemented-with-unsafe-inline-in-style-src-only',
    'csp-implemented-with-insecure-scheme-in-passive-content-only',
    'csp-implemented-but-duplicate-directives',
  ],
  cookies: ['cookies-not-found', 'cookies-secure-with-httponly-sessions-and-samesite', 'cookies-secure-with-httponly-sessions'],
  'cross-origin-resource-sharing': [
    'cross-origin-resource-sharing-not-implemented',
    'cross-origin-resource-sharing-implemented-with-public-access',
    'cross-origin-resource-sharing-implemented-with-restricted-access',
  ],
  redirection: ['redirection-to-https', 'redirection-all-redirects-preloaded', 'redirection-not-needed-no-http'],
  'referrer-policy': ['referrer-policy-private', 'referrer-policy-not-implemented'],
  'strict-transport-security': ['hsts-implemented-max-age-at-least-six-months', 'hsts-preloaded'],
  'subresource-integrity': [
    'sri-implemented-and-all-scripts-loaded-securely',
    'sri-implemented-and-external-scripts-loaded-securely',
    'sri-not-implemented-response-not-html',
    'sri-not-implemented-but-all-scripts-loaded-from-secure-origin',
    'sri-not-implemented-but-no-scripts-loaded',
  ],
  'x-content-type-options': ['x-content-type-options-nosniff'],
  'x-frame-options': ['x-frame-options-implemented-via-csp', 'x-frame-options-sameorigin-or-deny', 'x-frame-options-allow-from-origin'],
  'cross-origin-resource-policy': ['corp-implemented-with-same-origin', 'corp-implemented-with-same-site', 'corp-implemented-with-cross-origin', 'corp-not-implemented'],
  'cross-origin-opener-policy': [
    'coop-implemented-with-same-origin',
    'coop-implemented-with-same-origin-allow-popups',
    'coop-implemented-with-noopener-allow-popups',
    'coop-implemented-with-unsafe-none',
    'coop-not-implemented',
  ],
  'cross-origin-embedder-policy': ['coep-implemented-with-require-corp', 'coep-implemented-with-credentialless', 'coep-implemented-with-unsafe-none', 'coep-not-implemented'],
};

/** Whether the Observatory sets the `pass` flag of a test for a result. */
export function passes(test: ObservatoryTest, result: string): boolean {
  return (PASSING_RESULTS[test] as readonly string[]).includes(result);
}

/** A result name of a given test. */
export type ResultName<T extends ObservatoryTest = ObservatoryTest> = T extends ObservatoryTest ? keyof (typeof SCORE_TABLE)[T] & string : never;

/** Score modifier of a result (0 for a result that is not applicable). */
export function modifierOf(test: ObservatoryTest, result: string): number {
  const table = SCORE_TABLE[test] as Record<string, number>;
  const m = table[result];
  if (m === undefined) throw new Error(`unknown result ${result} for test ${test}`);
  return m;
}

/** Grades from best to worst. */
export const GRADES = ['A+', 'A', 'A-', 'B+', 'B', 'B-', 'C+', 'C', 'C-', 'D+', 'D', 'D-', 'F'] as const;

/** A letter grade. */
export type Grade = (typeof GRADES)[number];

/** The Observatory's grade chart: lowest score (multiple of 5) of each grade. */
export const GRADE_CHART: ReadonlyArray<readonly [number, Grade]> = [
  [100, 'A+'],
  [90, 'A'],
  [85, 'A-'],
  [80, 'B+'],
  [70, 'B'],
  [65, 'B-'],
  [60, 'C+'],
  [50, 'C'],
  [45, 'C-'],
  [40, 'D+'],
  [30, 'D'],
  [25, 'D-'],
  [0, 'F'],
];

/** Minimum score (without bonuses) from which bonuses count. */
export const MINIMUM_SCORE_FOR_EXTRA_CREDIT = 90;

/** Grade of a score: floored to a multiple of 5, negative scores are 0, above 100 is A+. */
export function gradeOf(score: number): Grade {
  const s = Math.max(0, score);
  const stepped = s - (s % 5);
  for (const [min, grade] of GRADE_CHART) if (stepped >= min) return grade;
  return 'F';
}

/** Whether grade `a` is at least as good as grade `b`. */
export function gradeAtLeast(a: Grade, b: Grade): boolean {
  return GRADES.indexOf(a) <= GRADES.indexOf(b);
}

/** The score of a set of modifiers: penalties always, bonuses only when the score without them is ≥ 90. */
export function scoreOf(modifiers: readonly number[]): { score: number; grade: Grade; uncurvedScore: number; bonus: number } {
  let uncurved = 100;
  let bonus = 0;
  for (const m of modifiers) {
    if (m > 0) bonus += m;
    else uncurved += m;
  }
  const score = Math.max(0, uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? uncurved + bonus : uncurved);
  return { score, grade: gradeOf(score), uncurvedScore: uncurved, bonus: uncurved >= MINIMUM_SCORE_FOR_EXTRA_CREDIT ? bonus : 0 };
}
