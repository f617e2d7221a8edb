/** Keeps the docs in step with the code: error catalogue, exit codes, environment variables, presets, reporters. */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { COMMANDS } from '../../src/cli/commands.ts';
import { builtinChecks } from '../../src/checks/registry.ts';
import { envVariables } from '../../src/config/env.ts';
import { PRESETS } from '../../src/presets/index.ts';
import { REPORTER_NAMES } from '../../src/config/schema.ts';
import { ERROR_CATALOGUE } from '../../src/core/errors.ts';
import { ExitCode } from '../../src/core/exit-codes.ts';
import { REPORT_SCHEMA_VERSION } from '../../src/core/result.ts';

const docs = new URL('../../../../docs/', import.meta.url).pathname;
const read = (name: string) => readFile(join(docs, name), 'utf8');

describe('docs/errors.md and the error catalogue', () => {
  it('has exactly one section per catalogue code, in catalogue order', async () => {
    const text = await read('errors.md');
    const headings = [...text.matchAll(/^## (GOLIVE_ERR_[A-Z_]+)\s*$/gm)].map((m) => m[1]);
    assert.deepEqual(headings, Object.keys(ERROR_CATALOGUE));
  });

  it('repeats each code scope and description', async () => {
    const text = await read('errors.md');
    for (const [code, { scope, description }] of Object.entries(ERROR_CATALOGUE)) {
      const section = text.split(`## ${code}\n`)[1]?.split('\n## ')[0] ?? '';
      assert.ok(section.includes(description), `${code}: description not repeated`);
      assert.match(section, new RegExp(`Scope: ${scope}`), `${code}: scope ${scope} not stated`);
    }
  });
});

describe('docs/exit-codes.md', () => {
  it('documents every exit code in its table', async () => {
    const text = await read('exit-codes.md');
    for (const [name, code] of Object.entries(ExitCode)) assert.match(text, new RegExp(`^\\| ${code} \\|`, 'm'), `${name} (${code})`);
    const rows = [...text.matchAll(/^\| (\d+) \|/gm)].map((m) => Number(m[1]));
    assert.deepEqual(rows, Object.values(ExitCode));
  });
});

describe('docs/configuration.md', () => {
  it('names every environment variable golive reads, every preset and every reporter', async () => {
    const text = await read('configuration.md');
    for (const { names } of envVariables(builtinChecks)) for (const n of names) assert.ok(text.includes(`\`${n}\``), n);
    for (const p of Object.keys(PRESETS)) assert.ok(text.includes(`\`${p}\``), p);
    for (const r of REPORTER_NAMES) assert.ok(text.includes(`\`${r}\``), r);
  });
});

describe('docs/report-schema.md', () => {
  it('states the current schema version and every reporter', async () => {
    const text = await read('report-schema.md');
    assert.ok(text.includes(`\`${REPORT_SCHEMA_VERSION}\``));
    for (const r of REPORTER_NAMES) assert.ok(text.includes(`| \`${r}\` |`), r);
  });

  it('the CLI commands have help text naming their usage, and the table repeats their summaries', async () => {
    for (const [name, entry] of Object.entries(COMMANDS)) {
      const c = await entry.load();
      assert.equal(c.name, name);
      assert.equal(entry.summary, c.summary, `summary of ${name} in commands.ts`);
      assert.match(c.help, new RegExp(`^Usage: golive ${c.name}`));
    }
  });
});

describe('README images', () => {
  it('every image the README shows is a committed PNG screenshot of a report page', async () => {
    const readme = await readFile(join(docs, '..', 'README.md'), 'utf8');
    const images = [...readme.matchAll(/!\[[^\]]+\]\(([^)]+)\)/g)].map((m) => m[1] as string);
    assert.ok(images.includes('docs/images/report-top.png'), 'the HTML report screenshot is shown');
    for (const image of images) {
      const bytes = await readFile(join(docs, '..', image));
      assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], `${image} is a PNG`);
      const width = bytes.readUInt32BE(16);
      const height = bytes.readUInt32BE(20);
      assert.ok(width >= 600 && height >= 300, `${image}: ${width}×${height}`);
    }
  });
});
