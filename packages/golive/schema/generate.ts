#!/usr/bin/env node
// Regenerates the published JSON Schemas from the code (zod → JSON Schema):
//   node packages/golive/schema/generate.ts
// test/unit/schema.test.ts fails when the committed files differ from what this writes.
import { writeFileSync } from 'node:fs';
import { configJsonSchema } from '../src/index.ts';
import { reportJsonSchema } from '../src/reporters/report-schema.ts';

const files = {
  'config.schema.json': configJsonSchema(),
  'report.schema.json': reportJsonSchema(),
};
for (const [name, schema] of Object.entries(files)) {
  writeFileSync(new URL(name, import.meta.url), `${JSON.stringify(schema, null, 2)}\n`);
  console.log(`wrote packages/golive/schema/${name}`);
}
