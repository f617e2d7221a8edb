/** The JSON reporter: the versioned report document (schema in packages/golive/schema/report.schema.json). */
import type { Report } from '../core/result.ts';

/** File name of the JSON report inside the output directory. */
export const JSON_REPORT_FILE = 'report.json';

/** Renders the report as pretty JSON (`schemaVersion` says which schema it follows). */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
