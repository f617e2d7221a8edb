/**
 * Run events: what a run reports while it goes, for live reporters (the console progress lines). Reporters
 * render the final report from the Report alone; events only drive progress output.
 */
import type { CheckResult, Report } from '../core/result.ts';

/** A run event. */
export type RunEvent =
  | { type: 'run-start'; runId: string; baseUrl: string; stages: Array<{ name: string; checks: string[] }> }
  | { type: 'target-start'; command: string }
  | { type: 'target-ready'; baseUrl: string; durationMs: number }
  | { type: 'stage-start'; stage: string; checks: number }
  | { type: 'check-start'; stage: string; id: string; kind: string; title: string; index: number; total: number }
  | { type: 'progress'; stage: string; id: string; message: string; fraction?: number }
  | { type: 'log'; id: string; message: string; data?: Record<string, unknown> }
  /** `total` is 0 for the managed target's result, which is not one of the configured checks. */
  | { type: 'check-end'; stage: string; result: CheckResult; index: number; total: number }
  | { type: 'stage-end'; stage: string; status: string }
  | { type: 'run-end'; report: Report };

/** Receives run events; must not throw (a throwing listener is ignored). */
export type RunEventListener = (event: RunEvent) => void;

/** Calls a listener, ignoring what it throws so a reporter bug cannot change a verdict. */
export function emitSafe(listener: RunEventListener | undefined, event: RunEvent): void {
  if (!listener) return;
  try {
    listener(event);
  } catch {
    // a listener must not be able to break the run
  }
}
