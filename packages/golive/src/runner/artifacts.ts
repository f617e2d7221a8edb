/**
 * Where checks write files: a directory under the run's output directory. Every text written is redacted;
 * paths are confined to the directory so a check option cannot write elsewhere.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import type { ArtifactSink } from '../checks/types.ts';
import type { Redactor } from '../core/redact.ts';

/** Redacts bytes when they are UTF-8 text; binary content is kept as is. */
function redactBytes(content: Uint8Array, redactor: Redactor): string | Uint8Array {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(content);
  return text.includes('\uFFFD') ? content : redactor.redact(text);
}

/** Creates an artifact sink rooted at `dir` (created on first write). */
export function createArtifactSink(dir: string, redactor: Redactor): ArtifactSink {
  const root = resolve(dir);
  return {
    dir: root,
    async write(relativePath: string, content: string | Uint8Array): Promise<string> {
      const abs = resolve(root, relativePath);
      const rel = relative(root, abs);
      if (isAbsolute(relativePath) || rel.startsWith('..') || rel === '') {
        throw new Error(`artifact path must stay inside the output directory: ${relativePath}`);
      }
      await mkdir(dirname(abs), { recursive: true });
      await writeFile(abs, typeof content === 'string' ? redactor.redact(content) : redactBytes(content, redactor));
      return rel.split('\\').join('/');
    },
  };
}
