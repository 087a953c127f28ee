import { GatewayError } from '../errors/gateway-error.ts';
import type { ExternalIdentity, OneTimeCode, Store, User } from '../store/store.ts';
import { auditAction, requireAdmin, type Actor } from './actor.ts';
import type { LinkedUser } from './linking.ts';
import { newCode, normalizeCode } from './one-time-code.ts';

export interface PairingOptions {
  /** How long a pairing code stays valid; a pending user writing after that gets a new one. Default: 1 hour. */
  codeTtlMs?: number;
}

export interface PendingUser {
  code: string;
  expiresAt: string;
  user: User;
  identities: ExternalIdentity[];
}

/**
 * ACCESS_MODE=pairing: a new chat user is `pending` and holds a short-lived code; an admin approves
 * (the user becomes a `user`) or denies it (`blocked`) from any chat or the HTTP API.
 */
export class Pairing {
  readonly #store: Store;
  readonly #codeTtlMs: number;

  constructor(store: Store, { codeTtlMs = 60 * 60_000 }: PairingOptions = {}) {
    this.#store = store;
    this.#codeTtlMs = codeTtlMs;
  }

  /** The pending user's code: the one they hold while it is valid, else a new one. */
  async codeFor(user: User): Promise<OneTimeCode> {
    const held = await this.#store.findCode('pairing', user.id);
    if (held) return held;
    const now = Date.now();
    const code: OneTimeCode = {
      purpose: 'pairing',
      code: newCode(),
      userId: user.id,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.#codeTtlMs).toISOString(),
    };
    await this.#store.putCode(code);
    return code;
  }

  async approve(actor: Actor, input: string): Promise<LinkedUser> {
    return this.#decide(actor, input, 'user', 'pairing.approve');
  }

  async deny(actor: Actor, input: string): Promise<LinkedUser> {
    return this.#decide(actor, input, 'blocked', 'pairing.deny');
  }

  async pending(actor: Actor): Promise<PendingUser[]> {
    await requireAdmin(this.#store, actor, 'pairing.list');
    const pending: PendingUser[] = [];
    for (const code of await this.#store.listCodes('pairing')) {
      const user = await this.#store.getUser(code.userId);
      if (user?.role === 'pending') pending.push({ code: code.code, expiresAt: code.expiresAt, user, identities: await this.#store.listIdentities(user.id) });
    }
    return pending;
  }

  async #decide(actor: Actor, input: string, role: 'user' | 'blocked', action: string): Promise<LinkedUser> {
    await requireAdmin(this.#store, actor, action);
    const code = await this.#store.takeCode('pairing', normalizeCode(input));
    const user = code && (await this.#store.getUser(code.userId));
    if (!user || user.role !== 'pending') {
      await auditAction(this.#store, actor, action, { errorCode: 'invalid_code' }, 'refused');
      throw new GatewayError('invalid_code', 'No one is waiting with that pairing code: it is unknown, decided already, or expired.');
    }
    await this.#store.setRole(user.id, role);
    await auditAction(this.#store, actor, action, { userId: user.id, role });
    return { user: { ...user, role }, identities: await this.#store.listIdentities(user.id) };
  }
}
