/** The `data` of a `security-headers` result (type only). */
import type { Json } from '../core/result.ts';

/** One scored test of the grade: the Observatory's result, modifier and pass flag, and what the test parsed. */
export type SecurityTestData = { result: string; modifier: number; pass: boolean; applicable: boolean; data?: { [key: string]: Json } };

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
  /** The Observatory scoring algorithm version the grade follows, and its scan counters. */
  algorithmVersion?: number;
  testsPassed?: number;
  testsFailed?: number;
  testsQuantity?: number;
  paths?: Json;
  findings?: SecurityFindingData[];
};
