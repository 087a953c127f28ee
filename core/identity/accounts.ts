import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ExternalIdentity, Store, User } from '../store/store.ts';
import type { AccessMode } from './access-policy.ts';
import { roleForNewIdentity } from './access-policy.ts';
import { auditAction, blockedError, findUserByRef, identityRef, requireAdmin, type Actor } from './actor.ts';
import { ApiKeys, perMinuteSchema } from './api-keys.ts';
import { Linking } from './linking.ts';
import { Pairing } from './pairing.ts';
import type { JobIdentity } from './tokens.ts';

export interface AccountsOptions {
  /** Identities that are admins whatever the store says (ADMIN_USERS). Default: none. */
  adminUsers?: readonly ExternalIdentity[];
  /** How new chat users get in (ACCESS_MODE). Default: `pairing`. */
  accessMode?: AccessMode;
  /** Default: 10 minutes. */
  linkCodeTtlMs?: number;
  /** Default: 1 hour. */
  pairingCodeTtlMs?: number;
  /** How long a verified API key is trusted without asking the store. Default: 5 000 ms. */
  keyCacheMs?: number;
}

const perMinute = perMinuteSchema.nullable();

/** What an admin may change about a user (PATCH /v1/users/{id}); null clears a limit override. */
export const updateUserSchema = z
  .object({
    role: z.enum(['admin', 'user', 'blocked']).optional(),
    limits: z
      .object({
        requestsPerMinute: perMinute.optional(),
        tokensPerMinute: perMinute.optional(),
        /** US dollars per budget period (USER_BUDGET_PERIOD); 0: no budget, whatever USER_BUDGET_USD says. */
        budgetUsd: z.number().min(0).max(1e9).nullable().optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type UpdateUser = z.infer<typeof updateUserSchema>;

/** An admin may not take their own rights away (someone must be left to give them back): ask another admin. */
export function refuseOwnDemotion(actor: Actor, userId: string, role: User['role']) {
  if (userId !== actor.user.id || role === 'admin') return;
  throw new GatewayError('invalid_request', `Admins cannot ${role === 'blocked' ? 'block' : 'demote'} themselves; ask another admin.`);
}

export interface UserView extends User {
  identities: ExternalIdentity[];
}

/**
 * Everything about who people are and what they may do, over the store: resolving identities to users,
 * linking, pairing, API keys, roles and limits. Chat commands and HTTP endpoints both call it, so an
 * action behaves, and is audited, the same wherever it is asked for.
 */
export class Accounts {
  readonly linking: Linking;
  readonly pairing: Pairing;
  readonly keys: ApiKeys;
  readonly #store: Store;
  readonly #admins: Set<string>;
  readonly #accessMode: AccessMode;

  constructor(store: Store, options: AccountsOptions = {}) {
    const { adminUsers = [], accessMode = 'pairing' } = options;
    this.#store = store;
    this.#admins = new Set(adminUsers.map(identityRef));
    this.#accessMode = accessMode;
    this.linking = new Linking(store, { accessMode, codeTtlMs: options.linkCodeTtlMs });
    this.pairing = new Pairing(store, { codeTtlMs: options.pairingCodeTtlMs });
    this.keys = new ApiKeys(store, { cacheMs: options.keyCacheMs });
  }

  /**
   * The user behind a verified identity, created on first sight; `handle` is the @name the platform
   * showed with it, so admins can name them by it. ADMIN_USERS is authoritative for the
   * identities it names; a token vouching for an admin (minted with the gateway's secret, or by the
   * identity provider) makes its user one too, unless an admin blocked them.
   */
  async resolve(identity: JobIdentity, { handle }: { handle?: string } = {}): Promise<User> {
    const listed = this.#admins.has(identityRef(identity));
    const vouched = listed || identity.role === 'admin';
    const role = vouched ? 'admin' : (identity.role ?? roleForNewIdentity(identity.platform, this.#accessMode));
    const user = await this.#store.resolveUser(identity, { role, ...(handle ? { handle } : {}) });
    if (!vouched || user.role === 'admin' || (user.role === 'blocked' && !listed)) return user;
    await this.#store.setRole(user.id, 'admin');
    return { ...user, role: 'admin' };
  }

  async listUsers(actor: Actor): Promise<UserView[]> {
    await requireAdmin(this.#store, actor, 'user.list');
    const users = await this.#store.listUsers({ limit: 1000 });
    return Promise.all(users.map((user) => this.#view(user)));
  }

  /** A user as admins (or the user themselves) see them. */
  async getUser(actor: Actor, ref: string): Promise<UserView> {
    if (ref !== actor.user.id) await requireAdmin(this.#store, actor, 'user.get');
    return this.#view(await findUserByRef(this.#store, ref));
  }

  async updateUser(actor: Actor, ref: string, update: UpdateUser): Promise<UserView> {
    await requireAdmin(this.#store, actor, 'user.update');
    const user = await findUserByRef(this.#store, ref);
    if (update.role) refuseOwnDemotion(actor, user.id, update.role);
    let updated = user;
    if (update.role && update.role !== user.role) {
      await this.#store.setRole(user.id, update.role);
      await auditAction(this.#store, actor, 'user.role', { userId: user.id, from: user.role, to: update.role });
      updated = { ...updated, role: update.role };
    }
    if (update.limits) {
      const limits = { ...user.limits };
      for (const name of ['requestsPerMinute', 'tokensPerMinute', 'budgetUsd'] as const) {
        const value = update.limits[name];
        if (value === null) delete limits[name];
        else if (value !== undefined) limits[name] = value;
      }
      await this.#store.setLimits(user.id, limits);
      await auditAction(this.#store, actor, 'user.limits', { userId: user.id, limits });
      updated = { ...updated, limits };
    }
    return this.#view(updated);
  }

  /** Refuses (and audits) a blocked user's attempt to act through the HTTP API. */
  async requireActive(actor: Actor, action: string) {
    if (actor.user.role !== 'blocked') return;
    await auditAction(this.#store, actor, action, { errorCode: 'forbidden' }, 'refused');
    throw blockedError();
  }

  /** Audits a refusal no user can be named for, such as a forged credential at the HTTP edge. */
  async auditUnidentified(requestId: string, action: string, detail: Record<string, unknown>) {
    await auditAction(this.#store, { requestId, user: null }, action, detail, 'refused');
  }

  async #view(user: User): Promise<UserView> {
    return { ...user, identities: await this.#store.listIdentities(user.id) };
  }
}
