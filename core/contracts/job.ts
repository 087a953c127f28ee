import { z } from 'zod';
import { maxMessages, maxTools, messageSchema, toolChoiceSchema, toolDefinitionSchema } from './message.ts';

/** Where a message came from. `http` is the OpenAI-compatible API; chat platforms join as their adapters land. */
export const platformSchema = z.enum(['http', 'telegram', 'discord', 'slack']);
export type Platform = z.infer<typeof platformSchema>;

/** Ids end up in Redis keys and log lines: printable, bounded, no whitespace. */
export const idSchema = z.string().regex(/^[\w.:@-]{1,200}$/, { error: 'expected 1-200 letters, digits or . : @ _ -' });

/** BullMQ job ids may not contain ':' (its key separator). Built as `<platform>-<event id>`. */
export const jobIdSchema = z.string().regex(/^[\w.@-]{1,200}$/, { error: 'expected 1-200 letters, digits or . @ _ -' });

/**
 * The adapter (and for chat platforms, the place) the reply goes back to. `address` names the process
 * waiting for it (a request/response adapter such as HTTP), whose channel the worker publishes the reply
 * on. `chat` is where a chat adapter posts it: any of its processes can, from this alone.
 */
export const replyToSchema = z.object({
  adapter: platformSchema,
  address: idSchema.optional(),
  chat: z
    .object({
      /** The platform's chat or channel id. */
      id: z.string().min(1).max(200),
      /** The user's message the reply threads to. */
      messageId: z.string().min(1).max(200).optional(),
      /** A topic or thread within the chat (Telegram forum topic, Slack thread_ts, Discord thread). */
      threadId: z.string().min(1).max(200).optional(),
      /**
       * The platform interaction the reply answers (a Discord slash command): its response is the
       * reply's first message. Only the id: the interaction's token stays with the adapter.
       */
      interactionId: z.string().min(1).max(200).optional(),
    })
    .optional(),
});
export type ReplyTo = z.infer<typeof replyToSchema>;

/** Bytes of one file a chat message may carry into a job at most (as base64, a third more). */
export const maxAttachmentBytes = 10 * 1024 * 1024;
const maxAttachments = 5;

export const attachmentSchema = z.object({
  /** The file's name, as sent. */
  name: z.string().min(1).max(300),
  mediaType: z.string().max(200).optional(),
  /** The bytes, base64. */
  data: z.base64().max(Math.ceil(maxAttachmentBytes / 3) * 4),
});
export type Attachment = z.infer<typeof attachmentSchema>;

/**
 * The one message every adapter puts on the `inbound` queue. Versioned: a worker refuses a version it
 * does not know instead of guessing.
 */
export const inboundJobSchema = z.object({
  v: z.literal(1),
  /** The BullMQ jobId, derived from the platform's own event id so a redelivered event is the same job. */
  id: jobIdSchema,
  /** One id per request, shared by logs, audit records and error bodies. */
  requestId: idSchema,
  source: z.object({
    platform: platformSchema,
    /** The platform's id for this event (update id, event id, Idempotency-Key); the jobId derives from it. */
    eventId: z.string().min(1).max(500),
    receivedAt: z.iso.datetime(),
    /**
     * The message came from a one-to-one chat with the bot. Codes and keys are only ever shown there,
     * never in a group. HTTP requests count as direct. Default: false.
     */
    direct: z.boolean().optional(),
    /**
     * The sender's @name on the platform (a Telegram or Discord username), without the @: admins may name
     * them so in commands (`/block @ann`). A convenience for finding people, never a credential.
     */
    handle: z.string().regex(/^[\w.]{1,64}$/).optional(),
  }),
  /** Messages of one conversation are answered one at a time, in order. */
  conversationId: idSchema,
  /**
   * The knowledge base this chat searches besides the shared `default` one: a Slack team
   * (`slack:T0123`) or a Discord server (`discord:123`). Absent: only `default`.
   */
  workspace: idSchema.optional(),
  /** A short-lived JWT minted by the adapter, bound to this job id; workers refuse jobs without a valid one. */
  identityToken: z.string().min(1).max(4096),
  replyTo: replyToSchema,
  /**
   * What the chat the reply goes to can show, as its adapter declares it; the model is told, so it does
   * not write what the platform cannot display. Absent (HTTP): no instruction, the client renders.
   */
  capabilities: z
    .object({
      /** The platform's name as people know it: `Telegram`. */
      platform: z.string().min(1).max(50),
      /** Longer replies are split into several messages. */
      maxMessageLength: z.number().int().positive(),
      /** What formatting shows, in words: `bold`, `italic`, `code blocks`… */
      formatting: z.array(z.string().min(1).max(50)).max(20),
      tables: z.boolean(),
    })
    .optional(),
  input: z.object({
    messages: z.array(messageSchema).min(1).max(maxMessages),
    /**
     * Files sent with the message, read by the adapter, for a gateway command that takes them (an admin's
     * `/docs add`). Other messages' files are not read.
     */
    attachments: z.array(attachmentSchema).max(maxAttachments).optional(),
  }),
  request: z
    .object({
      /** A model id, `provider/model`, or a tier alias (`default`, `instant`, `thinking`). */
      model: z.string().min(1).max(200).optional(),
      temperature: z.number().min(0).max(2).optional(),
      maxOutputTokens: z.number().int().positive().optional(),
      stopSequences: z.array(z.string().max(200)).max(4).optional(),
      /** Tools the client offers; calls come back to the client in the reply. */
      tools: z.array(toolDefinitionSchema).max(maxTools).optional(),
      toolChoice: toolChoiceSchema.optional(),
      /** Publish the answer's parts as they come (see stream-part.ts), for SSE, WebSocket and live edits. */
      stream: z.boolean().optional(),
    })
    .default({}),
});
export type InboundJob = z.infer<typeof inboundJobSchema>;
/** What adapters build: defaults not yet applied. */
export type InboundJobInput = z.input<typeof inboundJobSchema>;
