import { z } from 'zod';
import { platformSchema } from '../../core/contracts/job.ts';

/** Responses of the gateway's own account endpoints (keys, users, linking, pairing). */
const limitsSchema = z.object({ requestsPerMinute: z.number().int().optional(), tokensPerMinute: z.number().int().optional(), budgetUsd: z.number().optional() });
const identitySchema = z.object({ platform: platformSchema, externalId: z.string() });

export const userViewSchema = z.object({
  id: z.string(),
  role: z.enum(['admin', 'user', 'blocked', 'pending']),
  limits: limitsSchema,
  createdAt: z.string(),
  lastSeenAt: z.string(),
  identities: z.array(identitySchema),
});

export const userListSchema = z.object({ object: z.literal('list'), data: z.array(userViewSchema) });

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
});

/** The one response that carries a key's secret. */
export const createdApiKeySchema = apiKeyViewSchema.extend({ key: z.string() });
export const apiKeyListSchema = z.object({ object: z.literal('list'), data: z.array(apiKeyViewSchema) });

export const linkCodeSchema = z.object({ code: z.string(), expiresAt: z.string() });

export const pendingListSchema = z.object({
  object: z.literal('list'),
  data: z.array(z.object({ code: z.string(), expiresAt: z.string(), user: userViewSchema.omit({ identities: true }), identities: z.array(identitySchema) })),
});
