import { randomBytes } from 'node:crypto';
import type { Db } from '../db/index.ts';
import { DEFAULT_FLAGS, type Flags, readFlags } from './flags.ts';
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
    const t = await this.#db.query<{ id: string }>('SELECT id FROM tenants WHERE api_key_hash = $1 AND disabled_at IS NULL', [
      hash,
    ]);
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

/** Thrown by {@link createTenant} when the id is taken. */
export class TenantExistsError extends Error {
  readonly code = 'tenant_exists';
  constructor(id: string) {
    super(`tenant ${id} already exists`);
    this.name = 'TenantExistsError';
  }
}

/** Thrown when a tenant id is unknown. */
export class TenantNotFoundError extends Error {
  readonly code = 'tenant_not_found';
  constructor(id: string) {
    super(`tenant ${id} does not exist`);
    this.name = 'TenantNotFoundError';
  }
}

/** Tenant ids: the same rule as the tenants table's CHECK. */
export const TENANT_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** What {@link createTenant} returns: the only time the API key and signing secret are shown. */
export interface ProvisionedTenant {
  tenantId: string;
  name: string;
  apiKey: string;
  keyId: string;
  signingSecret: string;
  /** The runtime flags that apply to the tenant (service-wide flags; a new tenant gets the current ones). */
  flags: Flags;
}

/** A tenant as listed: never a key or secret. */
export interface TenantSummary {
  tenantId: string;
  name: string;
  createdAt: string;
  disabledAt: string | null;
  signingKeyIds: string[];
}

const newApiKey = () => `pk_${randomBytes(32).toString('base64url')}`;
const newSigningSecret = () => `ss_${randomBytes(32).toString('base64url')}`;

/**
 * Provisions a tenant: its row (row-level security applies to its events from the first one), an API
 * key stored as a SHA-256 hash only, and an active signing key. Refuses an existing id. The returned
 * key and secret are shown once: nothing can read them back (the key is only hashed; the secret is
 * never returned by any other call).
 */
export async function createTenant(db: Db, o: { tenantId: string; name?: string }): Promise<ProvisionedTenant> {
  const apiKey = newApiKey();
  const signingSecret = newSigningSecret();
  const keyId = 'k1';
  const name = o.name ?? o.tenantId;
  await db.tx(async (q) => {
    const r = await q.query(
      'INSERT INTO tenants (id, name, api_key_hash) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING',
      [o.tenantId, name, hashApiKey(apiKey)],
    );
    if (r.rowCount === 0) throw new TenantExistsError(o.tenantId);
    await q.query("SELECT set_config('app.tenant_id', $1, true)", [o.tenantId]);
    await q.query('INSERT INTO signing_keys (tenant_id, key_id, secret, active) VALUES ($1, $2, $3, true)', [
      o.tenantId,
      keyId,
      signingSecret,
    ]);
  });
  const flags = await readFlags(db).catch(() => ({ ...DEFAULT_FLAGS }));
  return { tenantId: o.tenantId, name, apiKey, keyId, signingSecret, flags };
}

/** Every tenant, without keys or secrets. */
export async function listTenants(db: Db): Promise<TenantSummary[]> {
  const r = await db.query<{ id: string; name: string; created_at: Date | string; disabled_at: Date | string | null }>(
    'SELECT id, name, created_at, disabled_at FROM tenants ORDER BY id',
  );
  const out: TenantSummary[] = [];
  for (const t of r.rows) {
    const keys = await db.tx((q) => q.query<{ key_id: string }>('SELECT key_id FROM signing_keys WHERE active ORDER BY key_id'), {
      tenantId: t.id,
    });
    out.push({
      tenantId: t.id,
      name: t.name,
      createdAt: new Date(t.created_at).toISOString(),
      disabledAt: t.disabled_at ? new Date(t.disabled_at).toISOString() : null,
      signingKeyIds: keys.rows.map((k) => k.key_id),
    });
  }
  return out;
}

/** Replaces a tenant's API key; the old one stops working (at once here, within the cache TTL elsewhere). */
export async function rotateApiKey(db: Db, tenantId: string): Promise<{ tenantId: string; apiKey: string }> {
  const apiKey = newApiKey();
  const r = await db.query('UPDATE tenants SET api_key_hash = $2 WHERE id = $1', [tenantId, hashApiKey(apiKey)]);
  if (r.rowCount === 0) throw new TenantNotFoundError(tenantId);
  return { tenantId, apiKey };
}

/** Disables a tenant: its API key authenticates nothing any more; its data stays. */
export async function disableTenant(db: Db, tenantId: string): Promise<{ tenantId: string; disabledAt: string }> {
  const r = await db.query<{ disabled_at: Date | string }>(
    'UPDATE tenants SET disabled_at = coalesce(disabled_at, now()) WHERE id = $1 RETURNING disabled_at',
    [tenantId],
  );
  const row = r.rows[0];
  if (!row) throw new TenantNotFoundError(tenantId);
  return { tenantId, disabledAt: new Date(row.disabled_at).toISOString() };
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
