import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GatewayError } from '../../../core/errors/gateway-error.ts';
import { updateUserSchema, type Accounts } from '../../../core/identity/accounts.ts';
import { identityRef, parseIdentity, type Actor } from '../../../core/identity/actor.ts';
import { formatCode } from '../../../core/identity/one-time-code.ts';
import { linkResultSchema, pendingListSchema, userListSchema, userViewSchema } from '../accounts-schemas.ts';

export interface AccountRoutesOptions {
  accounts: Accounts;
  /** The authenticated caller as the internal user they are; refuses blocked users. */
  actorOf: (request: FastifyRequest) => Promise<Actor>;
}

const userParams = z.object({ user: z.string().min(1).max(220).meta({ description: 'A user: `usr_…`, `platform:id`, or `me`.' }) });
const codeParams = z.object({ code: z.string().min(1).max(20).meta({ description: 'The pairing code, such as `HW4T-9JNC`.' }) });
const meNote = '`{user}` is an internal id (`usr_…`), an identity (`platform:id`), or `me` for the caller.';
// Metadata only: the same validation as the chat command's.
const updateUserBody = updateUserSchema.meta({ examples: [{ role: 'admin' }, { limits: { requestsPerMinute: 30, budgetUsd: 10 } }] });
const linkIdentityBody = z.object({ identity: z.string().min(3).max(220) }).strict().meta({ examples: [{ identity: 'discord:80351110224678912' }] });
const linkBody = z
  .object({ code: z.string().min(1).max(20).optional() })
  .strict()
  .optional()
  .meta({ description: 'Omit the body (or the code) to get a code; send a code shown in a chat to confirm it.', examples: [{}, { code: 'K7QM-3XRP' }] });

/**
 * Users, identity linking and pairing over HTTP: the same operations, checks and audit records as the
 * chat commands, for scripts and the web page. `me` names the caller in `{user}`.
 */
export const accountRoutes: FastifyPluginAsyncZod<AccountRoutesOptions> = async (app, { accounts, actorOf }) => {
  const refOf = (actor: Actor, ref: string) => (ref === 'me' ? actor.user.id : ref);

  app.get('/v1/users', { schema: { summary: 'List users', description: 'Every user (admins).', response: { 200: userListSchema } } }, async (request) => ({
    object: 'list' as const,
    data: await accounts.listUsers(await actorOf(request)),
  }));

  app.get('/v1/users/:user', { schema: { summary: 'Get a user', description: `A user with their linked identities: yourself, or (admins) anyone. ${meNote}`, params: userParams, response: { 200: userViewSchema } } }, async (request) => {
    const actor = await actorOf(request);
    return accounts.getUser(actor, refOf(actor, request.params.user));
  });

  const update = { summary: 'Change a user', description: `Role and limits (admins); audited. ${meNote}`, params: userParams, body: updateUserBody, response: { 200: userViewSchema } };
  app.patch('/v1/users/:user', { schema: update }, async (request) => {
    const actor = await actorOf(request);
    return accounts.updateUser(actor, refOf(actor, request.params.user), request.body);
  });

  app.post(
    '/v1/users/:user/identities',
    {
      schema: {
        summary: 'Link an identity',
        description: `Merges the user that \`identity\` names (\`platform:id\` or \`usr_…\`) into \`{user}\` (admins): one user from then on, with both histories. ${meNote}`,
        params: userParams,
        body: linkIdentityBody,
        response: { 200: userViewSchema },
      },
    },
    async (request) => {
      const actor = await actorOf(request);
      const { user } = await accounts.linking.link(actor, refOf(actor, request.params.user), request.body.identity);
      return accounts.getUser(actor, user.id);
    },
  );

  app.delete(
    '/v1/users/:user/identities/:identity',
    {
      schema: {
        summary: 'Unlink an identity',
        description: `Detaches \`{identity}\` (\`platform:id\`) from the user: your own, or (admins) anyone's. It becomes a user of its own, which is returned. ${meNote}`,
        params: userParams.extend({ identity: z.string().min(3).max(220).meta({ description: 'The identity to detach, `platform:id`.' }) }),
        response: { 200: userViewSchema },
      },
    },
    async (request) => {
      const actor = await actorOf(request);
      const owner = await accounts.getUser(actor, refOf(actor, request.params.user));
      if (!owner.identities.some((identity) => identityRef(identity) === request.params.identity)) {
        throw new GatewayError('not_found', `${request.params.user} has no identity ${request.params.identity}.`);
      }
      const detached = await accounts.linking.unlink(actor, request.params.identity);
      return { ...detached, identities: [parseIdentity(request.params.identity)!] };
    },
  );

  // The HTTP side of /link: no body (or no code) issues a code; {"code": "..."} confirms one from a chat.
  app.post(
    '/v1/link',
    {
      schema: {
        summary: 'Link this caller to a chat identity',
        description: 'The HTTP side of `/link`: without a code, issues one to type in a chat; with a code issued in a chat, joins the two identities into one user.',
        body: linkBody,
        response: { 200: linkResultSchema },
      },
    },
    async (request) => {
      const actor = await actorOf(request);
      if (!request.body?.code) {
        const code = await accounts.linking.issueCode(actor);
        return { code: formatCode(code.code), expiresAt: code.expiresAt };
      }
      const { user } = await accounts.linking.confirm(actor, request.body.code);
      return accounts.getUser({ ...actor, user }, user.id);
    },
  );

  app.get('/v1/pairing', { schema: { summary: 'List pending pairings', description: 'People waiting for approval (ACCESS_MODE=pairing), with the code they were shown (admins).', response: { 200: pendingListSchema } } }, async (request) => ({
    object: 'list' as const,
    data: (await accounts.pairing.pending(await actorOf(request))).map((p) => ({ ...p, code: formatCode(p.code) })),
  }));

  for (const decision of ['approve', 'deny'] as const) {
    const summary = decision === 'approve' ? 'Approve a pairing' : 'Deny a pairing';
    const description = `${decision === 'approve' ? 'Lets the person in as a user' : 'Blocks the person'} (admins); \`{code}\` is the code they were shown, with or without the dash.`;
    app.post(`/v1/pairing/:code/${decision}`, { schema: { summary, description, params: codeParams, response: { 200: userViewSchema } } }, async (request) => {
      const actor = await actorOf(request);
      const { user, identities } = await accounts.pairing[decision](actor, request.params.code);
      return { ...user, identities };
    });
  }
};
