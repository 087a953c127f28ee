import { GatewayError } from '../errors/gateway-error.ts';
import type { AuditRecord, ExternalIdentity, Store, User, UserRole } from '../store/store.ts';

/** Who asks for an account change, and under which request id it is audited. */
export interface Actor {
  user: User;
  requestId: string;
}

/**
 * Audited once per request and action: a retried job repeats the write, not the record. `user` is null
 * when no one could be identified (a forged credential).
 */
export async function auditAction(
  store: Store,
  actor: { requestId: string; user: Pick<User, 'id'> | null },
  action: string,
  detail: Record<string, unknown>,
  outcome: AuditRecord['outcome'] = 'ok',
) {
  await store.appendAudit({
    id: `${actor.requestId}:${action}`,
    requestId: actor.requestId,
    at: new Date().toISOString(),
    actorId: actor.user?.id ?? null,
    action,
    outcome,
    detail,
  });
}

/** The refusal a blocked user gets, wherever they try. */
export const blockedError = () => new GatewayError('forbidden', 'Your access to this assistant has been blocked by an administrator.');

/** Refuses, and audits the attempt, unless the actor is an admin. */
export async function requireAdmin(store: Store, actor: Actor, action: string) {
  if (actor.user.role === 'admin') return;
  await auditAction(store, actor, action, { errorCode: 'forbidden' }, 'refused');
  throw new GatewayError('forbidden', 'Only an administrator can do this.');
}

const identityPattern = /^(http|telegram|discord|slack):(\S{1,200})$/;

/** An identity as people write it: `telegram:12345`. */
export const identityRef = ({ platform, externalId }: ExternalIdentity) => `${platform}:${externalId}`;

/** `telegram:12345` as an identity, or undefined. */
export function parseIdentity(text: string): ExternalIdentity | undefined {
  const match = identityPattern.exec(text);
  return match ? { platform: match[1] as ExternalIdentity['platform'], externalId: match[2]! } : undefined;
}

export const userRefHelp = 'Name a user by internal id (usr_…) or by platform:id, such as telegram:12345 or slack:T0123:U0456.';

/** The user a reference names: an internal id (`usr_…`) or an identity (`platform:id`). */
export async function findUserByRef(store: Store, ref: string): Promise<User> {
  const identity = parseIdentity(ref);
  if (!identity && !ref.startsWith('usr_')) throw new GatewayError('invalid_request', `"${ref}" names no user. ${userRefHelp}`);
  const user = identity ? await store.findUser(identity) : await store.getUser(ref);
  if (!user) throw new GatewayError('not_found', `There is no user ${ref}.`);
  return user;
}

/** What one person is, once two of their users become one: a block sticks, then the higher role wins. */
export function combinedRole(a: UserRole, b: UserRole): UserRole {
  for (const role of ['blocked', 'admin', 'user'] as const) if (a === role || b === role) return role;
  return 'pending';
}
