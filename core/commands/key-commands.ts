import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import type { ApiKeyView } from '../identity/api-keys.ts';
import { findNamedUser, parseArgs, userArg } from './command-args.ts';
import type { Command, CommandInvocation } from './command.ts';

const usage = '/keys list · /keys create [user] [name] (the key acts as the user, else a new one; shown once) · /keys revoke <key id> (asks to confirm) — admins, in a direct message';
const keyId = z.string().regex(/^key_\w{1,64}$/, { error: 'expected a key id such as key_0123abcd' });
const name = z.string().regex(/^[\w.-]{1,100}$/, { error: 'expected a name of letters, digits, . _ or -' });
const createArgs = z.union([z.tuple([z.literal('create')]), z.tuple([z.literal('create'), userArg]), z.tuple([z.literal('create'), name]), z.tuple([z.literal('create'), userArg, name])]);

const day = (iso: string | null) => iso?.slice(0, 10) ?? 'never';
const keyLine = (key: ApiKeyView) =>
  `• ${key.id}  ${key.name}  ${key.prefix}…  user ${key.userId}  ${key.revokedAt ? `revoked ${day(key.revokedAt)}` : `expires ${day(key.expiresAt)}`}  ${key.spentTokens.toLocaleString('en-US')} tokens, $${key.spentUsd.toFixed(2)} spent`;

/** Keys are credentials: asked for, shown and revoked only where no one else reads along. */
function directOnly({ direct }: CommandInvocation) {
  if (!direct) throw new GatewayError('forbidden', 'API keys are handled only in a direct message: send /keys to me there.');
}

/** API keys from a chat: the same as /v1/keys. The secret is shown once, and only in a direct message. */
export const keyCommands: Record<string, Command> = {
  keys: {
    admin: true,
    usage,
    async confirm({ accounts }, invocation, args) {
      if (args[0] !== 'revoke') return undefined; // only revoking is asked first
      directOnly(invocation);
      const [, id] = parseArgs(z.tuple([z.literal('revoke'), keyId]), args, usage);
      const key = (await accounts.keys.list(invocation.actor)).find((candidate) => candidate.id === id);
      if (!key) throw new GatewayError('not_found', `There is no API key ${id}.`);
      if (key.revokedAt) throw new GatewayError('invalid_request', `${id} was revoked already, on ${day(key.revokedAt)}.`);
      return `Revoke ${key.id} (${key.name}, ${key.prefix}…, user ${key.userId})? Clients using it are refused from then on.`;
    },
    async run({ accounts, store }, invocation, args) {
      directOnly(invocation);
      const { actor } = invocation;
      const [verb] = args;
      if (verb === 'list') {
        parseArgs(z.tuple([z.literal('list')]), args, usage);
        const keys = await accounts.keys.list(actor);
        if (keys.length === 0) return 'No API keys yet. /keys create makes one.';
        return [`${keys.length} API key${keys.length === 1 ? '' : 's'}:`, ...keys.slice(0, 50).map(keyLine)].join('\n');
      }
      if (verb === 'create') {
        const [, first, second] = parseArgs(createArgs, args, usage);
        const user = first !== undefined && userArg.safeParse(first).success ? first : undefined;
        const keyName = user === undefined ? first : second;
        const owner = user === undefined ? undefined : await findNamedUser(store, invocation, user);
        const { secret, key } = await accounts.keys.create(actor, { ...(owner ? { user: owner.id } : {}), ...(keyName ? { name: keyName } : {}) });
        return [
          `Created ${key.name} (${key.id}), acting as ${key.userId}. The key, shown this once:`,
          secret,
          'Clients send it as "Authorization: Bearer <key>". A key with its own limits, budget or models is minted with POST /v1/keys or npm run keys -- create.',
        ].join('\n');
      }
      if (verb === 'revoke') {
        const [, id] = parseArgs(z.tuple([z.literal('revoke'), keyId]), args, usage);
        const key = await accounts.keys.revoke(actor, id);
        return `Revoked ${key.id} (${key.name}): it is refused from now on.`;
      }
      throw new GatewayError('invalid_request', `Usage: ${usage}`);
    },
  },
};
