/**
 * Security analysers: pure, network-free functions over recorded responses (CSP, headers, cookies,
 * CORS, redirection, Subresource Integrity, Observatory-compatible scores and grades, gate decisions).
 */
export { analyzeHeaders, analyzeResponses, isLoopbackHost, type MultiAnalysis } from './analyze.ts';
export { analyzeCookies, isSensitiveCookie, isSessionCookie, type ParsedCookie, parseSetCookie, splitSetCookie } from './cookies.ts';
export { analyzeCors, DEFAULT_PROBE_ORIGIN } from './cors.ts';
export {
  analyzeCsp,
  type CspAnalysis,
  type CspOrigin,
  type CspPolicy,
  cspNonces,
  DANGEROUSLY_BROAD,
  effectiveSources,
  listAllows,
  parseCsp,
  staticNonceFinding,
} from './csp.ts';
export { evaluateGate, type GateItem, type GatePolicy, type LabelledAnalysis, parseGrade, type Waiver, waiverExpired } from './gate.ts';
export {
  analyzeCoep,
  analyzeCoop,
  analyzeCorp,
  analyzeExtras,
  analyzeHsts,
  analyzeReferrerPolicy,
  analyzeXcto,
  analyzeXfo,
  type HstsPolicy,
  ONE_YEAR_SECONDS,
  parseHsts,
  SIX_MONTHS_SECONDS,
} from './headers.ts';
export { isHtml, metaCspPolicies, metaReferrerPolicy } from './html.ts';
export { analyzeRedirection } from './redirection.ts';
export { type CspScore, type ObservatoryCspPolicy, scoreCsp } from './csp-score.ts';
export {
  ALGORITHM_VERSION,
  GRADE_CHART,
  GRADES,
  type Grade,
  gradeAtLeast,
  gradeOf,
  MINIMUM_SCORE_FOR_EXTRA_CREDIT,
  modifierOf,
  OBSERVATORY_TESTS,
  type ObservatoryTest,
  PASSING_RESULTS,
  passes,
  SCORE_TABLE,
  scoreOf,
} from './scoring.ts';
export { analyzeSri, type SriScriptData } from './sri.ts';
export type * from './types.ts';
