import { z } from 'zod';
import { finishReasonSchema, usageSchema } from './message.ts';
import { routeSchema, serializedErrorSchema } from './reply.ts';

/**
 * What a worker publishes while it answers a streaming job, in order, and what every adapter relays:
 * as SSE chunks, WebSocket frames or message edits. A stream ends with exactly one `finish` or
 * `error` part. Tool calls are numbered 0, 1, 2... in the order they start (OpenAI's `index`).
 */
export const streamPartSchema = z.discriminatedUnion('type', [
  /** First, once the serving deployment is known (after any failover). */
  z.object({ type: z.literal('start'), model: z.string(), created: z.number().int(), route: routeSchema.optional() }),
  z.object({ type: z.literal('text'), delta: z.string() }),
  z.object({ type: z.literal('tool-start'), index: z.number().int().nonnegative(), id: z.string(), name: z.string() }),
  z.object({ type: z.literal('tool-delta'), index: z.number().int().nonnegative(), delta: z.string() }),
  z.object({ type: z.literal('finish'), finishReason: finishReasonSchema, usage: usageSchema }),
  z.object({ type: z.literal('error'), error: serializedErrorSchema }),
]);
export type StreamPart = z.infer<typeof streamPartSchema>;

export const isTerminal = (part: StreamPart) => part.type === 'finish' || part.type === 'error';
