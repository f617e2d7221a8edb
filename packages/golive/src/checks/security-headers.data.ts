/** The `data` of a `security-headers` result (type only). */
import type { Json } from '../core/result.ts';

/** One scored test of the grade. */
export type SecurityTestData = { result: string; modifier: number; pass: boolean; applicable: boolean };

/** One finding, with the path it was seen on. */
export type SecurityFindingData = { path: string; code: string; severity: string; message: string };

/** Evidence of a header analysis of `/` (and any extra paths). */
export type SecurityHeadersData = {
  url: string;
  statusCode: number | null;
  cspPresent: boolean;
  csp: string | null;
  cspReportOnly: string | null;
  error?: string;
  grade?: string;
  score?: number;
  minGrade?: string;
  httpsApplicable?: boolean;
  tests?: { [test: string]: SecurityTestData };
  paths?: Json;
  findings?: SecurityFindingData[];
};
