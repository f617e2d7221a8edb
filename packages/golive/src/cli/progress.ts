/**
 * Progress of a running gate on the console. On a terminal, one live line (rewritten in place) names the
 * running check, its elapsed time and its latest progress (a load check's requests, rate, p95, errors, time
 * left); elsewhere (CI logs), a line every few seconds for a check that runs longer than that, like k6. The
 * line is cleared before any other output, so it never mixes with the per-check lines.
 */
import { inertText } from '../core/inert.ts';
import type { Redactor } from '../core/redact.ts';
import { clip } from '../reporters/format.ts';
import type { TextSink } from './io.ts';

/** How often the live line is redrawn on a terminal. */
export const TTY_INTERVAL_MS = 500;
/** How often a running check is reported in a log (and how long it must run before the first line). */
export const LOG_INTERVAL_MS = 5000;

/** The running check's state as events report it. */
interface Running {
  id: string;
  startedMs: number;
  message: string | undefined;
  lastLoggedMs: number;
}

/** Shows progress of one gate run; `stop()` clears it. */
export class ProgressView {
  #running: Running | undefined;
  #timer: NodeJS.Timeout | undefined;
  #live = false;
  readonly #out: TextSink;
  readonly #tty: boolean;
  readonly #redactor: Redactor;
  readonly #now: () => number;

  constructor(out: TextSink, redactor: Redactor, options: { now?: () => number; intervalMs?: number } = {}) {
    this.#out = out;
    this.#tty = out.isTTY === true;
    this.#redactor = redactor;
    this.#now = options.now ?? Date.now;
    this.#timer = setInterval(() => this.tick(), options.intervalMs ?? (this.#tty ? TTY_INTERVAL_MS : 1000));
    this.#timer.unref();
  }

  /** A check started. */
  start(id: string): void {
    this.clear();
    const now = this.#now();
    this.#running = { id, startedMs: now, message: undefined, lastLoggedMs: now };
  }

  /** The running check reported progress. */
  update(id: string, message: string): void {
    if (this.#running?.id === id) this.#running.message = message;
  }

  /** The running check ended. */
  end(): void {
    this.clear();
    this.#running = undefined;
  }

  /** Redraws the live line, or writes a log line when one is due. */
  tick(): void {
    const r = this.#running;
    if (!r) return;
    const now = this.#now();
    const elapsed = Math.round((now - r.startedMs) / 1000);
    const text = inertText(this.#redactor.redact(`… ${r.id} running ${elapsed} s${r.message ? `: ${r.message}` : ''}`));
    if (this.#tty) {
      this.#out.write(`\r\u001b[2K${clip(text, 150)}`);
      this.#live = true;
    } else if (now - r.lastLoggedMs >= LOG_INTERVAL_MS) {
      r.lastLoggedMs = now;
      this.#out.write(`${clip(text, 200)}\n`);
    }
  }

  /** Clears the live line (call before writing anything else). */
  clear(): void {
    if (this.#live) {
      this.#out.write('\r\u001b[2K');
      this.#live = false;
    }
  }

  /** Stops the timer and clears the line. */
  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.end();
  }
}
