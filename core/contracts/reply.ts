import { z } from 'zod';
import { errorCodes, type ErrorCode } from '../errors/codes.ts';
import { finishReasonSchema, toolCallSchema, usageSchema } from './message.ts';
import { replyToSchema } from './job.ts';

const errorCodeSchema = z.enum(Object.keys(errorCodes) as [ErrorCode, ...ErrorCode[]]);

/** An error as it crosses process boundaries: in a reply, and as the last part of a stream. */
export const serializedErrorSchema = z.object({
  code: errorCodeSchema,
  message: z.string(),
  param: z.string().nullable(),
  retryable: z.boolean(),
  retryAfterMs: z.number().int().nonnegative().optional(),
});

/**
 * Which tier answered and why (see core/models/tier-router.ts): an explicit choice (`think-command`,
 * `tier-alias`, `named-model`), what the heuristic saw (`code`, `reasoning`, `long-input`, `tools`),
 * or `default`.
 */
export const routeSchema = z.object({
  tier: z.enum(['instant', 'thinking']),
  reason: z.enum(['think-command', 'tier-alias', 'named-model', 'code', 'reasoning', 'long-input', 'tools', 'default']),
});
export type Route = z.infer<typeof routeSchema>;

/**
 * A button a chat may show under a reply (a command's "Confirm" and "Cancel"). Pressing it is the same
 * as its presser sending `command` in that chat; a platform without buttons shows only the text, which
 * says what to type.
 */
export const replyActionSchema = z.object({
  label: z.string().min(1).max(40),
  /** At most 64 bytes: Telegram's limit for a button's data. */
  command: z.string().regex(/^\/[a-z][\w -]{0,62}$/),
  /** `danger` for what cannot be undone. Default: the platform's plain button. */
  style: z.enum(['primary', 'danger']).optional(),
});
export type ReplyAction = z.infer<typeof replyActionSchema>;

const limitStateSchema = z.object({ limit: z.number().int().nonnegative(), remaining: z.number().int().nonnegative(), resetMs: z.number().int().nonnegative() });

/** The sender's rate-limit buckets after this job, for headers such as OpenAI's `x-ratelimit-*`. */
export const rateLimitStateSchema = z.object({ requests: limitStateSchema.optional(), tokens: limitStateSchema.optional() });
export type RateLimitState = z.infer<typeof rateLimitStateSchema>;

const replyBase = z.object({
  v: z.literal(1),
  jobId: z.string(),
  requestId: z.string(),
  conversationId: z.string(),
  replyTo: replyToSchema,
  createdAt: z.iso.datetime(),
  rateLimits: rateLimitStateSchema.optional(),
});

/** The answer to one InboundJob: exactly one per job, either a message or an error a person can read. */
export const replySchema = z.discriminatedUnion('status', [
  replyBase.extend({
    status: z.literal('ok'),
    message: z.object({ role: z.literal('assistant'), content: z.string(), toolCalls: z.array(toolCallSchema).optional() }),
    model: z.string(),
    finishReason: finishReasonSchema,
    usage: usageSchema,
    route: routeSchema.optional(),
    /** Buttons under the reply's last message, where the chat has them. */
    actions: z.array(replyActionSchema).min(1).max(5).optional(),
  }),
  replyBase.extend({
    status: z.literal('error'),
    error: serializedErrorSchema,
  }),
]);
export type Reply = z.infer<typeof replySchema>;
export type OkReply = Extract<Reply, { status: 'ok' }>;
export type ErrorReply = Extract<Reply, { status: 'error' }>;
