/** What a CLI command gets: output streams, the environment read once, the working directory, cancellation. */

/** A writable text stream (process.stdout in real use, a buffer in tests). */
export interface TextSink {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** The CLI's view of the process. */
export interface CliIo {
  stdout: TextSink;
  stderr: TextSink;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
  /** Aborts on SIGINT / SIGTERM. */
  signal?: AbortSignal;
}

/** A command of the CLI: one file each, registered in commands.ts. */
export interface CliCommand {
  name: string;
  /** One line for `golive --help`. */
  summary: string;
  /** Full `golive <name> --help` text. */
  help: string;
  /** Runs the command; returns the exit code (never exits). */
  run(argv: string[], io: CliIo): Promise<number>;
}
