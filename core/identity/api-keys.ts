import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ApiKey, Store, User } from '../store/store.ts';
import { auditAction, findUserByRef, requireAdmin, type Actor } from './actor.ts';

/** Every key starts so: a bearer credential is told from a JWT at a glance, and secret scanners can match it. */
export const apiKeyPrefix = 'sk-gw-';

export const isApiKey = (credential: string) => credential.startsWith(apiKeyPrefix);

/** 256 random bits: a plain SHA-256 is enough to store it (nothing to brute-force, unlike a password). */
export const hashApiKey = (key: string) => createHash('sha256').update(key).digest('hex');

/** A per-minute limit as admins set it; 0 is none. */
export const perMinuteSchema = z.number().int().min(0).max(1_000_000_000);

/** What an admin sets when minting a key (the HTTP body of POST /v1/keys, the CLI's flags). */
export const createApiKeySchema = z
  .object({
    /** The user the key acts as (`usr_…` or `platform:id`). Default: a new user of its own. */
    user: z.string().min(1).max(220).optional(),
    name: z.string().trim().min(1).max(100).optional(),
    /** Requests per minute for this key, on top of its user's limits; 0 or absent: none of its own. */
    requestsPerMinute: perMinuteSchema.optional(),
    tokensPerMinute: perMinuteSchema.optional(),
    /** Tokens (input + output) the key may spend in all; absent: no budget. */
    budgetTokens: z.number().int().positive().max(1e15).optional(),
    /** US dollars the key may spend in all, priced by the price table (PRICES); absent: no budget. */
    budgetUsd: z.number().positive().max(1e9).optional(),
    /** The model names (as clients send them, tiers included) the key may call; absent: any. */
    models: z.array(z.string().min(1).max(200)).min(1).max(100).optional(),
    /** Absent: never expires. */
    expiresInDays: z.number().int().min(1).max(3650).optional(),
  })
  .strict()
  .meta({
    examples: [
      { user: 'telegram:123456789', name: 'ci-bot', requestsPerMinute: 60, budgetTokens: 1_000_000, models: ['default', 'thinking'], expiresInDays: 90 },
      { name: 'dashboard', budgetUsd: 25 },
    ],
  });
export type CreateApiKey = z.infer<typeof createApiKeySchema>;

/** A key as shown to people: everything but its hash. */
export type ApiKeyView = Omit<ApiKey, 'hash'>;
export const viewOf = ({ hash: _, ...view }: ApiKey): ApiKeyView => view;

export interface VerifiedKey {
  key: ApiKey;
  user: User;
}

export interface ApiKeysOptions {
  /** How long a verified key is trusted without asking the store again. Default: 5 000 ms. */
  cacheMs?: number;
}

/** Whether a key may call `model` (the name the client sent; `default` when it sent none). */
export function keyAllows(key: Pick<ApiKey, 'models'>, model: string | undefined): boolean {
  return key.models === null || key.models.includes(model ?? 'default');
}

/**
 * API keys in the manner of LiteLLM's virtual keys: minted by an admin, shown once, stored as a hash,
 * revocable, each with its own per-minute limits, token budget and allowed models. A key acts as one
 * user, through the identity `http:key:<id>`, so history, role and user limits apply to it as well.
 */
export class ApiKeys {
  readonly #store: Store;
  readonly #cacheMs: number;
  /** Hash → verified key: a client sends its key with every request. */
  readonly #verified = new Map<string, { found: VerifiedKey; until: number }>();

  constructor(store: Store, { cacheMs = 5_000 }: ApiKeysOptions = {}) {
    this.#store = store;
    this.#cacheMs = cacheMs;
  }

  /** Mints a key; the returned `secret` is the only time anyone sees it. */
  async create(actor: Actor, input: CreateApiKey): Promise<{ secret: string; key: ApiKeyView }> {
    await requireAdmin(this.#store, actor, 'api_key.create');
    const id = `key_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
    // The key's own identity, then merged into the named user: one path for "a user's key" and "a new user".
    const named = input.user ? await findUserByRef(this.#store, input.user) : undefined;
    const own = await this.#store.resolveUser({ platform: 'http', externalId: `key:${id}` }, { role: 'user' });
    const owner = named ?? own;
    if (owner.id !== own.id) await this.#store.mergeUsers(own.id, owner.id);
    const secret = `${apiKeyPrefix}${randomBytes(32).toString('base64url')}`;
    const now = Date.now();
    const key: ApiKey = {
      id,
      userId: owner.id,
      name: input.name ?? id,
      prefix: secret.slice(0, apiKeyPrefix.length + 6),
      hash: hashApiKey(secret),
      createdAt: new Date(now).toISOString(),
      createdBy: actor.user.id,
      expiresAt: input.expiresInDays ? new Date(now + input.expiresInDays * 86_400_000).toISOString() : null,
      revokedAt: null,
      limits: {
        ...(input.requestsPerMinute ? { requestsPerMinute: input.requestsPerMinute } : {}),
        ...(input.tokensPerMinute ? { tokensPerMinute: input.tokensPerMinute } : {}),
      },
      budgetTokens: input.budgetTokens ?? null,
      spentTokens: 0,
      budgetUsd: input.budgetUsd ?? null,
      spentUsd: 0,
      models: input.models ?? null,
    };
    await this.#store.createApiKey(key);
    await auditAction(this.#store, actor, 'api_key.create', { keyId: id, userId: owner.id, prefix: key.prefix });
    return { secret, key: viewOf(key) };
  }

  /** Admins see every key (or one user's); others see their own. */
  async list(actor: Actor, { userId }: { userId?: string } = {}): Promise<ApiKeyView[]> {
    const own = actor.user.role !== 'admin';
    return (await this.#store.listApiKeys({ userId: own ? actor.user.id : userId, limit: 1000 })).map(viewOf);
  }

  async revoke(actor: Actor, id: string): Promise<ApiKeyView> {
    await requireAdmin(this.#store, actor, 'api_key.revoke');
    const key = await this.#store.getApiKey(id);
    if (!key) throw new GatewayError('not_found', `There is no API key ${id}.`);
    const at = new Date().toISOString();
    const revoked = await this.#store.revokeApiKey(id, at);
    this.#verified.delete(key.hash);
    if (revoked) await auditAction(this.#store, actor, 'api_key.revoke', { keyId: id, prefix: key.prefix });
    return viewOf({ ...key, revokedAt: key.revokedAt ?? at });
  }

  /**
   * The key and its user, or a 401 that says why. Remembered for `cacheMs`, so a key revoked elsewhere
   * stops working at the edge within that time (the worker checks every job at once, see `usable`).
   */
  async verify(secret: string): Promise<VerifiedKey> {
    const hash = hashApiKey(secret);
    const now = Date.now();
    const cached = this.#verified.get(hash);
    if (cached && cached.until > now) return usable(cached.found.key, now) && cached.found;
    const key = await this.#store.findApiKeyByHash(hash);
    if (!key) throw new GatewayError('invalid_api_key', 'The API key is not valid. An administrator mints keys with POST /v1/keys or `npm run keys -- create`.');
    usable(key, now);
    const user = await this.#store.getUser(key.userId);
    if (!user) throw new GatewayError('invalid_api_key', 'The API key belongs to no user.');
    const found = { key, user };
    if (this.#verified.size >= 10_000) this.#verified.clear();
    this.#verified.set(hash, { found, until: now + this.#cacheMs });
    return found;
  }
}

/** True when the key is neither revoked nor expired; throws the refusal otherwise. */
export function usable(key: Pick<ApiKey, 'revokedAt' | 'expiresAt'>, now = Date.now()): true {
  if (key.revokedAt) throw new GatewayError('api_key_revoked', 'This API key has been revoked. Ask an administrator for a new one.');
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) throw new GatewayError('api_key_revoked', 'This API key has expired. Ask an administrator for a new one.');
  return true;
}
