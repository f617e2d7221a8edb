/**
 * The JSON report's schema, written in zod so the published JSON Schema is generated (packages/golive/schema/
 * report.schema.json, kept current by a test) and a report can be validated at run time. It mirrors the
 * types of core/result.ts; a type test keeps the two in step.
 */
import { z } from 'zod';
import { REPORT_SCHEMA_VERSION, type Report } from '../core/result.ts';

const json: z.ZodType<unknown> = z.lazy(() => z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(json), z.record(z.string(), json)]));

const observation = z
  .object({
    name: z.string(),
    expected: z.string(),
    actual: z.string(),
    passed: z.boolean(),
    message: z.string().describe('One sentence with the evidence.'),
    severity: z.enum(['error', 'warn']).optional(),
    code: z.string().optional().describe('Finding code (docs/checks.md).'),
  })
  .describe('One comparison inside a check.');

const axis = z.object({
  label: z.string(),
  unit: z.string().optional(),
  scale: z.enum(['linear', 'log']).optional(),
  ticks: z.array(z.object({ value: z.number(), label: z.string() })).optional(),
});

const presentation = z
  .object({
    keyFigure: z.string().optional().describe('The one figure that sums up the result.'),
    plots: z
      .array(
        z.object({
          id: z.string(),
          title: z.string(),
          mark: z.enum(['line', 'point', 'bar']),
          x: axis,
          y: axis,
          series: z.array(z.object({ name: z.string(), points: z.array(z.tuple([z.number(), z.number()])) })),
          rules: z.array(z.object({ axis: z.enum(['x', 'y']), value: z.number(), label: z.string() })).optional(),
          description: z.string().optional(),
        }),
      )
      .optional(),
    tables: z
      .array(
        z.object({
          id: z.string(),
          title: z.string(),
          columns: z.array(z.string()),
          rows: z.array(z.array(z.union([z.string(), z.number(), z.boolean(), z.null()]))),
        }),
      )
      .optional(),
  })
  .describe('How the kind presents the result (key figure, plots, tables).');

const base = {
  id: z.string(),
  kind: z.string(),
  title: z.string(),
  level: z.enum(['error', 'warn']),
  stage: z.string(),
  startedAt: z.string(),
  durationMs: z.number(),
  observations: z.array(observation),
  warnings: z.array(z.string()),
  metrics: z.record(z.string(), z.union([z.number(), z.string(), z.boolean(), z.null()])),
  data: z.record(z.string(), json).optional().describe('Kind-specific evidence (redacted).'),
  artifacts: z.array(z.string()),
  summary: z.string(),
  presentation: presentation.optional(),
};

/** Schema of one check result (a union on status). */
export const checkResultSchema = z.discriminatedUnion('status', [
  z.object({ ...base, status: z.literal('pass') }),
  z.object({ ...base, status: z.literal('fail') }),
  z.object({ ...base, status: z.literal('error'), error: z.object({ code: z.string(), message: z.string() }) }),
  z.object({ ...base, status: z.literal('skip'), reason: z.string() }),
]);

/** Fields of the JSON report besides the verdict and its exit code. */
const reportFields = {
  $schema: z.string().optional(),
  schemaVersion: z.literal(REPORT_SCHEMA_VERSION),
  tool: z.object({ name: z.literal('golive'), version: z.string() }),
  runId: z.string(),
  startedAt: z.string(),
  finishedAt: z.string(),
  durationMs: z.number(),
  target: z.object({ baseUrl: z.string(), managed: z.boolean() }),
  source: z.string(),
  label: z.string().describe('What was run, as named in a run history (default: the source, plus the stages a --stage narrowed it to). Since 1.1.0.'),
  release: z.string().nullable().describe('The release of the target that was checked (--release, GOLIVE_RELEASE, default git describe), or null. Since 1.1.0.'),
  totals: z.object({ checks: z.number().int(), pass: z.number().int(), fail: z.number().int(), error: z.number().int(), skip: z.number().int(), warnings: z.number().int() }),
  stages: z.array(
    z.object({
      name: z.string(),
      status: z.enum(['pass', 'fail', 'error', 'skip']),
      failPolicy: z.enum(['fail-fast', 'continue']),
      durationMs: z.number(),
      checks: z.array(checkResultSchema),
    }),
  ),
};

/**
 * Schema of the JSON report: a union on the verdict, so each verdict carries its own exit code (GO 0, NO-GO 1,
 * INCONCLUSIVE 3) and a report claiming GO with exit 1, or exit 42, does not validate.
 */
export const reportSchema = z.discriminatedUnion('verdict', [
  z.object({ ...reportFields, verdict: z.literal('GO'), exitCode: z.literal(0) }),
  z.object({ ...reportFields, verdict: z.literal('NO-GO'), exitCode: z.literal(1) }),
  z.object({ ...reportFields, verdict: z.literal('INCONCLUSIVE'), exitCode: z.literal(3) }),
]);

/** Id of the report schema (a URN: the file ships in the package, at schema/report.schema.json). */
export const REPORT_SCHEMA_ID = `urn:golive:schema:report:${REPORT_SCHEMA_VERSION}`;

/** The report's JSON Schema (draft 2020-12). */
export function reportJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(reportSchema, { io: 'output', target: 'draft-2020-12' }) as Record<string, unknown>;
  return { ...schema, $id: REPORT_SCHEMA_ID, title: 'golive report', description: `golive JSON report, schema version ${REPORT_SCHEMA_VERSION}.` };
}

/** A report as the schema describes it. */
export type ReportDocument = z.output<typeof reportSchema>;

/**
 * Every Report is a document of the schema: this compiles only while the two agree (the verdict and exit code
 * pairing is the schema's alone; the types keep them apart).
 */
export function asReportDocument(report: Report): Omit<ReportDocument, 'verdict' | 'exitCode'> & Pick<Report, 'verdict' | 'exitCode'> {
  return report;
}
