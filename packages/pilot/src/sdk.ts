/**
 * pilot's client SDK (`pilot/sdk`): reads the runtime flags from `GET /config` when started and again
 * each time its cache expires (30 s by default), and runs the application's background sync every
 * `minIntervalSec` while `syncEnabled` is true. When an operator turns `syncEnabled` off on the admin
 * page, a running client stops scheduling syncs within one cache period, without a redeploy; it resumes
 * when the flag comes back. Uses only `fetch`, so it runs in Node and in browsers.
 */

/** The flags served by `GET /config`. */
export interface RemoteFlags {
  syncEnabled: boolean;
  minIntervalSec: number;
  retryCap: number;
}

/** Options of {@link PilotSdk}. */
export interface PilotSdkOptions {
  /** Base URL of pilot, e.g. `https://pilot.example.com`. */
  baseUrl: string;
  /** The background sync to run; a rejection is reported to `onError` and does not stop the schedule. */
  sync: () => Promise<void> | void;
  /** How long a `/config` answer is used before it is read again (default 30 000 ms, as the service's max-age). */
  cacheTtlMs?: number;
  /** Limit of one `/config` request (default 5 000 ms). */
  requestTimeoutMs?: number;
  /** Called with problems (config unreachable or malformed, a failed sync); the SDK keeps going. */
  onError?: (err: Error) => void;
  /** Called whenever fresh flags are read. */
  onFlags?: (flags: RemoteFlags) => void;
  /** fetch implementation (default: the global one). */
  fetch?: typeof fetch;
}

const MAX_CONFIG_BYTES = 16 * 1024;

/** Checks a `/config` body; returns the flags or a reason. */
export function parseRemoteFlags(v: unknown): RemoteFlags | string {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'not a JSON object';
  const o = v as Record<string, unknown>;
  if (typeof o.syncEnabled !== 'boolean') return 'syncEnabled: expected a boolean';
  const int = (x: unknown, min: number, max: number) => typeof x === 'number' && Number.isInteger(x) && x >= min && x <= max;
  if (!int(o.minIntervalSec, 1, 86_400)) return 'minIntervalSec: expected an integer 1-86400';
  if (!int(o.retryCap, 0, 100)) return 'retryCap: expected an integer 0-100';
  return { syncEnabled: o.syncEnabled, minIntervalSec: o.minIntervalSec as number, retryCap: o.retryCap as number };
}

/**
 * The client. Until the first `/config` answer arrives it does not sync (an unknown flag is treated as
 * off); when `/config` cannot be read later, the last flags read stay in force until it can.
 */
export class PilotSdk {
  readonly #o: Required<Pick<PilotSdkOptions, 'cacheTtlMs' | 'requestTimeoutMs'>> & PilotSdkOptions;
  readonly #fetch: typeof fetch;
  #flags: RemoteFlags | undefined;
  #refreshTimer: ReturnType<typeof setTimeout> | undefined;
  #syncTimer: ReturnType<typeof setTimeout> | undefined;
  #started = false;
  #syncing = false;
  /** Syncs run so far. */
  syncCount = 0;

  constructor(o: PilotSdkOptions) {
    if (!/^https?:\/\//.test(o.baseUrl)) throw new TypeError('baseUrl: expected an http(s) URL');
    this.#o = { cacheTtlMs: 30_000, requestTimeoutMs: 5_000, ...o };
    if (!(this.#o.cacheTtlMs >= 100)) throw new TypeError('cacheTtlMs: expected at least 100');
    this.#fetch = o.fetch ?? fetch;
  }

  /** The flags in force (undefined before the first successful read). */
  get flags(): RemoteFlags | undefined {
    return this.#flags;
  }

  /** Whether a background sync is currently scheduled. */
  get scheduled(): boolean {
    return this.#syncTimer !== undefined;
  }

  /** Reads `/config`, then keeps it fresh and schedules syncs accordingly. */
  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    await this.refresh();
  }

  /** Stops everything; a sync in progress finishes. */
  stop(): void {
    this.#started = false;
    if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
    if (this.#syncTimer) clearTimeout(this.#syncTimer);
    this.#refreshTimer = undefined;
    this.#syncTimer = undefined;
  }

  /** Reads `/config` now and applies it (also called on each cache expiry). */
  async refresh(): Promise<void> {
    try {
      const res = await this.#fetch(new URL('/config', this.#o.baseUrl), {
        headers: { accept: 'application/json' },
        signal: AbortSignal.timeout(this.#o.requestTimeoutMs),
        // The flags are cached here for cacheTtlMs: an HTTP cache in between must not add its own max-age.
        cache: 'no-store',
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`GET /config answered ${res.status}`);
      if (text.length > MAX_CONFIG_BYTES) throw new Error('GET /config: body too large');
      const flags = parseRemoteFlags(JSON.parse(text));
      if (typeof flags === 'string') throw new Error(`GET /config: ${flags}`);
      this.#flags = flags;
      this.#o.onFlags?.(flags);
    } catch (err) {
      this.#o.onError?.(err instanceof Error ? err : new Error(String(err)));
    } finally {
      if (this.#started) {
        this.#apply();
        if (this.#refreshTimer) clearTimeout(this.#refreshTimer);
        this.#refreshTimer = setTimeout(() => void this.refresh(), this.#o.cacheTtlMs);
      }
    }
  }

  #apply(): void {
    const on = this.#flags?.syncEnabled === true;
    if (!on && this.#syncTimer) {
      clearTimeout(this.#syncTimer);
      this.#syncTimer = undefined;
    } else if (on && !this.#syncTimer && !this.#syncing) {
      this.#scheduleSync(0);
    }
  }

  #scheduleSync(delayMs: number): void {
    this.#syncTimer = setTimeout(async () => {
      this.#syncTimer = undefined;
      // The flag may have turned off since this sync was scheduled.
      if (!this.#started || this.#flags?.syncEnabled !== true) return;
      this.#syncing = true;
      try {
        this.syncCount += 1;
        await this.#o.sync();
      } catch (err) {
        this.#o.onError?.(err instanceof Error ? err : new Error(String(err)));
      } finally {
        this.#syncing = false;
      }
      if (this.#started && this.#flags?.syncEnabled === true && !this.#syncTimer) {
        this.#scheduleSync((this.#flags?.minIntervalSec ?? 900) * 1000);
      }
    }, delayMs);
  }
}
