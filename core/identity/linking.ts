import { GatewayError } from '../errors/gateway-error.ts';
import type { ExternalIdentity, OneTimeCode, Store, User } from '../store/store.ts';
import { roleForNewIdentity, type AccessMode } from './access-policy.ts';
import { auditAction, combinedRole, findUserByRef, parseIdentity, requireAdmin, type Actor } from './actor.ts';
import { newCode, normalizeCode } from './one-time-code.ts';
import { isKeySubject } from './tokens.ts';

export interface LinkingOptions {
  /** How long a link code stays valid. Default: 10 minutes. */
  codeTtlMs?: number;
  /** Decides the role an unlinked identity starts with. Default: `pairing`. */
  accessMode?: AccessMode;
}

export interface LinkedUser {
  user: User;
  identities: ExternalIdentity[];
}

/**
 * One person, one user, across platforms. `/link` in one chat issues a code; `/link CODE` from another
 * identity proves the same person holds both, and the two users become one (history, limits, keys and
 * role shared). Admins link and unlink anyone; a person may unlink their own identities.
 */
export class Linking {
  readonly #store: Store;
  readonly #codeTtlMs: number;
  readonly #accessMode: AccessMode;

  constructor(store: Store, { codeTtlMs = 10 * 60_000, accessMode = 'pairing' }: LinkingOptions = {}) {
    this.#store = store;
    this.#codeTtlMs = codeTtlMs;
    this.#accessMode = accessMode;
  }

  /** A new code for the actor's user, replacing any earlier one. */
  async issueCode(actor: Actor): Promise<OneTimeCode> {
    const now = Date.now();
    const code: OneTimeCode = {
      purpose: 'link',
      code: newCode(),
      userId: actor.user.id,
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.#codeTtlMs).toISOString(),
    };
    await this.#store.putCode(code);
    await auditAction(this.#store, actor, 'identity.link_code', { expiresAt: code.expiresAt });
    return code;
  }

  /** The actor's user joins the user who issued the code. */
  async confirm(actor: Actor, input: string): Promise<LinkedUser> {
    const code = await this.#store.takeCode('link', normalizeCode(input));
    if (!code) {
      await auditAction(this.#store, actor, 'identity.link', { errorCode: 'invalid_code' }, 'refused');
      throw new GatewayError('invalid_code', 'That link code is unknown, used already, or expired. Send /link in your other chat for a new one.');
    }
    if (code.userId === actor.user.id) {
      throw new GatewayError('invalid_code', 'That code came from this same account; send it from the chat you want to link.');
    }
    const into = await this.#store.getUser(code.userId);
    if (!into) throw new GatewayError('invalid_code', 'The account that issued this code no longer exists.');
    return this.#merge(actor, actor.user, into, 'identity.link');
  }

  /** Admin: the user behind `second` joins the user behind `first`. */
  async link(actor: Actor, first: string, second: string): Promise<LinkedUser> {
    await requireAdmin(this.#store, actor, 'identity.link');
    const into = await findUserByRef(this.#store, first);
    const from = await findUserByRef(this.#store, second);
    if (into.id === from.id) throw new GatewayError('invalid_request', `${first} and ${second} are already the same user.`);
    return this.#merge(actor, from, into, 'identity.link');
  }

  /** Gives one identity a user of its own again; its history stays with the user it leaves. */
  async unlink(actor: Actor, identityRef: string): Promise<User> {
    const identity = parseIdentity(identityRef);
    if (!identity) throw new GatewayError('invalid_request', `"${identityRef}" is not an identity; write it as platform:id, such as telegram:12345.`);
    const owner = await this.#store.findUser(identity);
    // Only admins learn whether someone else's identity exists.
    if (owner?.id !== actor.user.id) await requireAdmin(this.#store, actor, 'identity.unlink');
    if (!owner) throw new GatewayError('not_found', `There is no identity ${identityRef}.`);
    if (identity.platform === 'http' && isKeySubject(identity.externalId)) {
      throw new GatewayError('invalid_request', 'An API key is unlinked by revoking it.');
    }
    const identities = await this.#store.listIdentities(owner.id);
    if (identities.length < 2) throw new GatewayError('invalid_request', `${identityRef} is the only identity of its user; there is nothing to unlink it from.`);
    const detached = await this.#store.detachIdentity(identity, roleForNewIdentity(identity.platform, this.#accessMode));
    await auditAction(this.#store, actor, 'identity.unlink', { identity: identityRef, from: owner.id, to: detached.id });
    return detached;
  }

  async #merge(actor: Actor, from: User, into: User, action: string): Promise<LinkedUser> {
    const role = combinedRole(from.role, into.role);
    await this.#store.mergeUsers(from.id, into.id);
    if (role !== into.role) await this.#store.setRole(into.id, role);
    await auditAction(this.#store, actor, action, { from: from.id, into: into.id, role });
    return { user: { ...into, role }, identities: await this.#store.listIdentities(into.id) };
  }
}
