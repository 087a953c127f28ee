import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import { findUserByRef } from '../identity/actor.ts';
import type { Store, User } from '../store/store.ts';
import type { CommandInvocation } from './command.ts';

const userHelp = 'Name a user by a mention or @name, by platform:id (telegram:12345, slack:T0123:U0456), or by internal id (usr_…).';

/** A user as an admin names one in a chat: `@name`, `platform:id`, or the internal `usr_…` id. */
export const userArg = z.string().regex(/^(@[\w.]{1,64}|(http|telegram|discord|slack):\S{1,200}|usr_\w{1,64})$/, { error: `expected a user. ${userHelp}` });

/** A one-time code as shown (`ABCD-EFGH`), in any case. */
export const codeArg = z.string().regex(/^[a-z0-9]{4}-?[a-z0-9]{4}$/i, { error: 'expected a code like ABCD-EFGH' });

/** A count of days, 1 to 3660 (ten years). */
export const daysArg = z.coerce.number().int().min(1).max(3660);

/**
 * The arguments as `schema` (a zod tuple) reads them; a wrong call gets the usage text and what was
 * wrong, in words, never silence.
 */
export function parseArgs<T extends z.ZodType>(schema: T, args: string[], usage: string): z.infer<T> {
  const parsed = schema.safeParse(args);
  if (parsed.success) return parsed.data;
  throw new GatewayError('invalid_request', `Usage: ${usage} (${reason(parsed.error.issues[0]!)}).`);
}

/** What was wrong with the arguments, in words. */
function reason(issue: z.core.$ZodIssue): string {
  const whole = issue.path.length === 0;
  if (issue.code === 'invalid_union' && whole) {
    // Of the ways to call it, the one with as many arguments as given says which is wrong.
    const counted = issue.errors.find((branch) => branch.every((inner) => inner.path.length > 0));
    return counted ? reason(counted[0]!) : 'not that many arguments';
  }
  if (issue.code === 'too_big' && whole) return 'too many arguments';
  if (issue.code === 'too_small' && whole) return 'an argument is missing';
  return `${typeof issue.path[0] === 'number' ? `argument ${issue.path[0] + 1}` : 'the arguments'}: ${issue.message}`;
}

/** The user a chat names: `@name` on the chat's own platform, or as findUserByRef reads it. */
export async function findNamedUser(store: Store, { conversation }: Pick<CommandInvocation, 'conversation'>, ref: string): Promise<User> {
  if (!ref.startsWith('@')) return findUserByRef(store, ref);
  const user = await store.findUserByHandle(conversation.platform, ref.slice(1));
  if (!user) throw new GatewayError('not_found', `No one called ${ref} has written to me on ${conversation.platform} yet. ${userHelp}`);
  return user;
}
