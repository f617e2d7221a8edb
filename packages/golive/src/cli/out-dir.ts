/**
 * The output directory must be on a file system that holds files. Under /proc or /sys, `mkdir -p` never
 * finishes (the kernel answers ENOENT for a directory it will not create, and recursive creation retries), so
 * golive would spin instead of gating: such a directory is a usage error, found before anything runs.
 */
import { statfsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/** statfs magic numbers of pseudo file systems that cannot hold report files (linux/magic.h). */
const PSEUDO_FILE_SYSTEMS: ReadonlyMap<number, string> = new Map([
  [0x9fa0, 'proc'],
  [0x62656572, 'sysfs'],
  [0x1cd1, 'devpts'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0xcafe4a11, 'bpf'],
]);

/** Why `dir` cannot hold golive's reports, or undefined when it can (as far as the file system type tells). */
export function outputDirProblem(dir: string): string | undefined {
  let probe = resolve(dir);
  // The nearest ancestor that exists says which file system the directory would be created on.
  for (;;) {
    try {
      const type = statfsSync(probe).type;
      const name = PSEUDO_FILE_SYSTEMS.get(Number(type));
      return name ? `${dir} is on a ${name} file system, which cannot hold report files; choose a directory on a regular file system` : undefined;
    } catch {
      const parent = dirname(probe);
      if (parent === probe) return undefined;
      probe = parent;
    }
  }
}
