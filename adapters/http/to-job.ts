import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { InboundJobInput } from '../../core/contracts/job.ts';
import type { Message } from '../../core/contracts/message.ts';
import { GatewayError } from '../../core/errors/gateway-error.ts';
import { mintJobToken, type ApiPrincipal } from '../../core/identity/tokens.ts';
import type { ChatCompletionRequest, CompletionRequest } from './openai-schemas.ts';

const headerValue = z.string().regex(/^[\x21-\x7e]{1,200}$/);

/** Opaque and bounded, and scoped to the user, so one user's key can never collide with another's. */
const scopedId = (subject: string, value: string) =>
  createHash('sha256').update(subject).update('\0').update(value).digest('base64url').slice(0, 32);

function optionalHeader(value: string | string[] | undefined, name: string): string | undefined {
  if (value === undefined) return undefined;
  const parsed = headerValue.safeParse(value);
  if (!parsed.success) {
    throw new GatewayError('invalid_request', `The ${name} header must be 1-200 visible ASCII characters.`, { param: name });
  }
  return parsed.data;
}

type Content = string | { text: string }[] | null | undefined;
const textOf = (content: Content) => (typeof content === 'string' ? content : (content ?? []).map((part) => part.text).join(''));

function toMessage(message: ChatCompletionRequest['messages'][number]): Message {
  switch (message.role) {
    case 'assistant': {
      const toolCalls = message.tool_calls?.map((call) => ({ id: call.id, name: call.function.name, arguments: call.function.arguments }));
      return { role: 'assistant', content: textOf(message.content), ...(toolCalls?.length ? { toolCalls } : {}) };
    }
    case 'tool':
      return { role: 'tool', toolCallId: message.tool_call_id, content: textOf(message.content) };
    default:
      return { role: message.role === 'developer' ? 'system' : message.role, content: textOf(message.content) };
  }
}

/** A legacy text completion as the chat it is served as: the prompt is one user message. */
export function completionAsChat(body: CompletionRequest) {
  return {
    model: body.model,
    messages: [{ role: 'user' as const, content: typeof body.prompt === 'string' ? body.prompt : (body.prompt[0] ?? '') }],
    max_tokens: body.max_tokens,
    temperature: body.temperature,
    stop: body.stop,
    stream: body.stream,
  };
}

export interface HttpJobSource {
  body: Pick<ChatCompletionRequest, 'model' | 'messages' | 'temperature' | 'max_tokens' | 'max_completion_tokens' | 'stop' | 'stream' | 'tools' | 'tool_choice'>;
  principal: ApiPrincipal;
  requestId: string;
  headers: Record<string, string | string[] | undefined>;
  jwtKey: Uint8Array;
  /** The waiting process's reply address. */
  replyAddress: string;
}

/**
 * The InboundJob for one chat-completion request. With an `Idempotency-Key` header the jobId derives
 * from it, so a client retrying the request gets the first answer instead of a second one. With an
 * `X-Conversation-Id` header, requests of one conversation are answered in order.
 */
export function toJob({ body, principal, requestId, headers, jwtKey, replyAddress }: HttpJobSource): InboundJobInput {
  const idempotencyKey = optionalHeader(headers['idempotency-key'], 'Idempotency-Key');
  const conversation = optionalHeader(headers['x-conversation-id'], 'X-Conversation-Id');
  const eventId = idempotencyKey ? scopedId(principal.subject, idempotencyKey) : randomUUID();
  const id = `http-${eventId}`;
  return {
    v: 1,
    id,
    requestId,
    source: { platform: 'http', eventId, receivedAt: new Date().toISOString() },
    conversationId: conversation ? `http-${scopedId(principal.subject, conversation)}` : id,
    // A key's role is its user's, kept in the store; a token's role is what the token vouches for.
    identityToken: mintJobToken(jwtKey, id, { platform: 'http', externalId: principal.subject, ...(principal.apiKey ? {} : { role: principal.role }) }),
    replyTo: { adapter: 'http', address: replyAddress },
    input: { messages: body.messages.map(toMessage) },
    request: {
      model: body.model,
      temperature: body.temperature ?? undefined,
      maxOutputTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
      stopSequences: typeof body.stop === 'string' ? [body.stop] : (body.stop ?? undefined),
      tools: body.tools?.map(({ function: fn }) => ({ name: fn.name, description: fn.description, parameters: fn.parameters ?? { type: 'object', properties: {} } })),
      toolChoice: body.tool_choice == null ? undefined : typeof body.tool_choice === 'string' ? body.tool_choice : { name: body.tool_choice.function.name },
      stream: body.stream ?? undefined,
    },
  };
}
