import { z } from 'zod';
import { refuseOwnDemotion, type UserView } from '../identity/accounts.ts';
import { identityRef } from '../identity/actor.ts';
import type { IdentityView, LimitOverrides } from '../store/store.ts';
import { findNamedUser, parseArgs, userArg } from './command-args.ts';
import type { Command, CommandInvocation, CommandServices } from './command.ts';

const shownUsers = 50;
const at = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
const identityText = (identity: IdentityView) => `${identityRef(identity)}${identity.handle ? ` (@${identity.handle})` : ''}`;
/** A user as one line: who, their role, and when they were last seen. */
export const userLine = (user: UserView) =>
  `${user.identities.map(identityText).join(', ') || user.id} · ${user.role} · last seen ${at(user.lastSeenAt)} · ${user.id}`;

const perMinute = (limit: number | undefined) => (limit === undefined ? 'role default' : limit === 0 ? 'unlimited' : limit.toLocaleString('en-US'));
const limitsText = (limits: LimitOverrides) => `${perMinute(limits.requestsPerMinute)} requests/min, ${perMinute(limits.tokensPerMinute)} tokens/min`;

/** A per-minute limit as typed: a number (0: unlimited), or `default` to use the role's again. */
const limitArg = z.union([z.literal('default').transform(() => null), z.coerce.number().int().min(0).max(1_000_000_000)], {
  error: 'expected a number (0: unlimited) or default',
});

const usages = {
  allow: '/allow <user> (admins: let a pending or blocked user talk to the assistant)',
  block: '/block <user> (admins: block a user; asks to confirm)',
  role: '/role <user> admin|user (admins: change a user\'s role; asks to confirm)',
  limits: '/limits <user> (admins: show) · /limits <user> <requests/min> <tokens/min> (a number, 0 for unlimited, or default)',
};

/** The named user as the invocation's admin sees them. */
async function named(services: CommandServices, invocation: CommandInvocation, ref: string): Promise<UserView> {
  const user = await findNamedUser(services.store, invocation, ref);
  return services.accounts.getUser(invocation.actor, user.id);
}

const roleNames = { admin: 'an admin', user: 'a user', blocked: 'blocked' } as const;

/** Gives the named user `role`; `done` says so, or the answer says nothing changed. */
async function setRole(services: CommandServices, invocation: CommandInvocation, ref: string, role: keyof typeof roleNames, done: string) {
  const user = await named(services, invocation, ref);
  if (user.role === role) return `${userLine(user)}: already ${roleNames[role]}, nothing changed.`;
  return `${done}: ${userLine(await services.accounts.updateUser(invocation.actor, user.id, { role }))}.`;
}

/** People and what they may do: the same as /v1/users, from any chat. */
export const userCommands: Record<string, Command> = {
  users: {
    admin: true,
    usage: '/users (admins: users with their roles and last activity, most recent first)',
    async run({ accounts }, { actor }, args) {
      parseArgs(z.tuple([]), args, userCommands.users!.usage);
      const users = await accounts.listUsers(actor);
      if (users.length === 0) return 'No users yet.';
      return [
        `${users.length} user${users.length === 1 ? '' : 's'}, most recently seen first:`,
        ...users.slice(0, shownUsers).map((user) => `• ${userLine(user)}`),
        ...(users.length > shownUsers ? [`…and ${users.length - shownUsers} more (GET /v1/users has them all).`] : []),
      ].join('\n');
    },
  },
  allow: {
    admin: true,
    usage: usages.allow,
    async run(services, invocation, args) {
      const [ref] = parseArgs(z.tuple([userArg]), args, usages.allow);
      return setRole(services, invocation, ref, 'user', 'Allowed');
    },
  },
  block: {
    admin: true,
    usage: usages.block,
    async confirm(services, invocation, args) {
      const [ref] = parseArgs(z.tuple([userArg]), args, usages.block);
      const user = await named(services, invocation, ref);
      refuseOwnDemotion(invocation.actor, user.id, 'blocked');
      return `Block ${userLine(user)}? They will get no more answers, anywhere.`;
    },
    async run(services, invocation, args) {
      const [ref] = parseArgs(z.tuple([userArg]), args, usages.block);
      return setRole(services, invocation, ref, 'blocked', 'Blocked');
    },
  },
  role: {
    admin: true,
    usage: usages.role,
    async confirm(services, invocation, args) {
      const [ref, role] = parseArgs(z.tuple([userArg, z.enum(['admin', 'user'])]), args, usages.role);
      const user = await named(services, invocation, ref);
      refuseOwnDemotion(invocation.actor, user.id, role);
      return `Make ${userLine(user)} ${role === 'admin' ? 'an admin (every admin command, every model and tool)' : 'a user'}?`;
    },
    async run(services, invocation, args) {
      const [ref, role] = parseArgs(z.tuple([userArg, z.enum(['admin', 'user'])]), args, usages.role);
      return setRole(services, invocation, ref, role, 'Done');
    },
  },
  limits: {
    admin: true,
    usage: usages.limits,
    async run(services, invocation, args) {
      const [ref, requests, tokens] = parseArgs(z.union([z.tuple([userArg]), z.tuple([userArg, limitArg, limitArg])]), args, usages.limits);
      const user = await named(services, invocation, ref);
      if (requests === undefined) return `Limits of ${userLine(user)}: ${limitsText(user.limits)}.`;
      const updated = await services.accounts.updateUser(invocation.actor, user.id, { limits: { requestsPerMinute: requests, tokensPerMinute: tokens } });
      return `Limits of ${userLine(updated)} are now ${limitsText(updated.limits)}.`;
    },
  },
};
