import { z } from 'zod';
import { platformSchema } from '../../core/contracts/job.ts';

/** Responses of the gateway's own account endpoints (keys, users, linking, pairing). */
const limitsSchema = z.object({ requestsPerMinute: z.number().int().optional(), tokensPerMinute: z.number().int().optional(), budgetUsd: z.number().optional() });
const identitySchema = z.object({
  platform: platformSchema,
  externalId: z.string(),
  /** The platform @name the identity was last seen with (lower case), where the platform has one. */
  handle: z.string().optional(),
});

// Examples, one user and one key throughout, so the pages read as one story.
const userFields = { id: 'usr_9a1b2c3d4e5f40a1b2c3d4e5f6a7b8c9', role: 'user', limits: { requestsPerMinute: 30 }, createdAt: '2026-11-02T08:30:00.000Z', lastSeenAt: '2026-11-23T09:15:02.114Z' };
const user = { ...userFields, identities: [{ platform: 'telegram', externalId: '123456789', handle: 'alice_k' }, { platform: 'http', externalId: 'alice' }] };
const key = {
  id: 'key_4be0c2f18d9a7e31',
  userId: 'usr_9a1b2c3d4e5f40a1b2c3d4e5f6a7b8c9',
  name: 'ci-bot',
  prefix: 'sk-gw-Xy12Ab',
  createdAt: '2026-11-20T10:00:00.000Z',
  createdBy: 'usr_7d3e0f1a2b4c45d6e7f8091a2b3c4d5e',
  expiresAt: '2027-02-18T10:00:00.000Z',
  revokedAt: null,
  limits: { requestsPerMinute: 60 },
  budgetTokens: 1_000_000,
  spentTokens: 48_210,
  budgetUsd: null,
  spentUsd: 0.0391,
  models: ['default', 'thinking'],
};

export const userViewSchema = z.object({
  id: z.string(),
  role: z.enum(['admin', 'user', 'blocked', 'pending']),
  limits: limitsSchema,
  createdAt: z.string(),
  lastSeenAt: z.string(),
  identities: z.array(identitySchema),
}).meta({ examples: [user] });

export const userListSchema = z.object({ object: z.literal('list'), data: z.array(userViewSchema) }).meta({ examples: [{ object: 'list', data: [user] }] });

export const apiKeyViewSchema = z.object({
  id: z.string(),
  userId: z.string(),
  name: z.string(),
  prefix: z.string(),
  createdAt: z.string(),
  createdBy: z.string().nullable(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  limits: limitsSchema,
  budgetTokens: z.number().int().nullable(),
  spentTokens: z.number().int(),
  budgetUsd: z.number().nullable(),
  spentUsd: z.number(),
  models: z.array(z.string()).nullable(),
}).meta({ examples: [key] });

/** The one response that carries a key's secret. */
export const createdApiKeySchema = apiKeyViewSchema
  .extend({ key: z.string().meta({ description: 'The key itself: shown in this response and nowhere else, ever.' }) })
  .meta({ examples: [{ ...key, key: 'sk-gw-Xy12Ab3dEf45Gh67Ij89Kl01Mn23Op45Qr67St89Uv0' }] });
export const apiKeyListSchema = z.object({ object: z.literal('list'), data: z.array(apiKeyViewSchema) }).meta({ examples: [{ object: 'list', data: [key] }] });

const linkCode = { code: 'K7QM-3XRP', expiresAt: '2026-11-23T09:25:02.114Z' };
export const linkCodeSchema = z.object({ code: z.string(), expiresAt: z.string() }).meta({ examples: [linkCode] });
/** POST /v1/link: a new code, or the user a confirmed code made the caller. */
export const linkResultSchema = z.union([linkCodeSchema, userViewSchema]).meta({
  description: 'A new code (no code sent), or the caller as the user they now are (a code confirmed).',
  examples: [linkCode, user],
});

export const pendingListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ code: z.string(), expiresAt: z.string(), user: userViewSchema.omit({ identities: true }), identities: z.array(identitySchema) })),
}).meta({
  examples: [{
    object: 'list',
    data: [{ code: 'HW4T-9JNC', expiresAt: '2026-11-24T09:15:02.114Z', user: { ...userFields, role: 'pending' }, identities: [{ platform: 'discord', externalId: '80351110224678912' }] }],
  }],
});
