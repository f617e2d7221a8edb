import type { Db } from '../db/index.ts';
import { type SigningKey, sha256Hex } from '../lib/signature.ts';

/** What an API key resolves to: the tenant and the keys it may sign with. */
export interface TenantContext {
  tenantId: string;
  signingKeys: SigningKey[];
}

/** Input of {@link upsertTenant}. */
export interface TenantProvision {
  tenantId: string;
  name?: string;
  apiKey: string;
  signingSecret: string;
  keyId: string;
}

/** Only this hash of an API key is stored; keys are long random strings, so plain SHA-256 suffices. */
export function hashApiKey(apiKey: string): string {
  return sha256Hex(apiKey);
}

/**
 * Creates or updates a tenant, its API key hash and one signing key. Idempotent, so the bootstrap
 * tenant can be applied at every boot; other signing keys of the tenant are left as they are.
 */
export async function upsertTenant(db: Db, t: TenantProvision): Promise<void> {
  await db.query(
    `INSERT INTO tenants (id, name, api_key_hash) VALUES ($1, $2, $3)
     ON CONFLICT (id) DO UPDATE SET api_key_hash = EXCLUDED.api_key_hash, name = EXCLUDED.name`,
    [t.tenantId, t.name ?? t.tenantId, hashApiKey(t.apiKey)],
  );
  await db.tx(
    (q) =>
      q.query(
        `INSERT INTO signing_keys (tenant_id, key_id, secret, active) VALUES ($1, $2, $3, true)
         ON CONFLICT (tenant_id, key_id) DO UPDATE SET secret = EXCLUDED.secret, active = true`,
        [t.tenantId, t.keyId, t.signingSecret],
      ),
    { tenantId: t.tenantId },
  );
}

/**
 * Resolves API keys to tenants, caching answers for a short time: ingest would otherwise pay two
 * extra queries per request. A revoked key or rotated signing key takes effect within `ttlMs`.
 * Known keys and unknown ones are cached apart, each bounded and evicting its own oldest entries: a
 * flood of wrong keys fills only the negative cache and never pushes a real tenant out.
 */
export class TenantDirectory {
  readonly #db: Db;
  readonly #ttlMs: number;
  readonly #positive: BoundedCache<TenantContext>;
  readonly #negative: BoundedCache<null>;

  constructor(db: Db, ttlMs = 5_000, maxEntries = 10_000) {
    this.#db = db;
    this.#ttlMs = ttlMs;
    this.#positive = new BoundedCache(maxEntries);
    this.#negative = new BoundedCache(maxEntries);
  }

  /** The tenant owning `apiKey`, or null when the key is unknown. */
  async resolve(apiKey: string): Promise<TenantContext | null> {
    const hash = hashApiKey(apiKey);
    const now = Date.now();
    const known = this.#positive.get(hash, now, this.#ttlMs);
    if (known) return known;
    if (this.#negative.get(hash, now, this.#ttlMs) === null) return null;
    const value = await this.#load(hash);
    if (value) this.#positive.set(hash, value, now);
    else this.#negative.set(hash, null, now);
    return value;
  }

  /**
   * The tenant of `apiKey` when it is cached as known (no database access), else undefined. Lets
   * authentication skip the failed-attempt budget for keys already proven good.
   */
  cached(apiKey: string): TenantContext | undefined {
    return this.#positive.get(hashApiKey(apiKey), Date.now(), this.#ttlMs) ?? undefined;
  }

  /** Forgets cached answers (after provisioning in tests or admin changes). */
  invalidate(): void {
    this.#positive.clear();
    this.#negative.clear();
  }

  async #load(hash: string): Promise<TenantContext | null> {
    const t = await this.#db.query<{ id: string }>('SELECT id FROM tenants WHERE api_key_hash = $1', [hash]);
    const tenantId = t.rows[0]?.id;
    if (tenantId === undefined) return null;
    const keys = await this.#db.tx(
      (q) =>
        q.query<{ key_id: string; secret: string }>(
          'SELECT key_id, secret FROM signing_keys WHERE active ORDER BY created_at DESC',
        ),
      { tenantId },
    );
    return { tenantId, signingKeys: keys.rows.map((k) => ({ keyId: k.key_id, secret: k.secret })) };
  }
}

/** A Map bounded by entry count; when full, the oldest entry goes (insertion order), not all of them. */
class BoundedCache<V> {
  readonly #max: number;
  readonly #map = new Map<string, { at: number; value: V }>();

  constructor(max: number) {
    this.#max = max;
  }

  /** The value if present and younger than `ttlMs`; undefined otherwise. */
  get(key: string, now: number, ttlMs: number): V | undefined {
    const hit = this.#map.get(key);
    if (!hit) return undefined;
    if (now - hit.at >= ttlMs) {
      this.#map.delete(key);
      return undefined;
    }
    return hit.value;
  }

  set(key: string, value: V, now: number): void {
    this.#map.delete(key);
    if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next().value;
      if (oldest !== undefined) this.#map.delete(oldest);
    }
    this.#map.set(key, { at: now, value });
  }

  clear(): void {
    this.#map.clear();
  }
}
