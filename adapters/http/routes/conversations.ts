import type { FastifyRequest } from 'fastify';
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { conversationListQuerySchema, messageListQuerySchema, type ConversationHistory } from '../../../core/conversations/conversation-history.ts';
import { platformSchema } from '../../../core/contracts/job.ts';
import type { Actor } from '../../../core/identity/actor.ts';

export interface ConversationRoutesOptions {
  conversations: ConversationHistory;
  actorOf: (request: FastifyRequest) => Promise<Actor>;
}

const conversationSchema = z.object({
  object: z.literal('conversation'),
  id: z.string(),
  platform: platformSchema,
  title: z.string().nullable().meta({ description: 'The first thing said in it, cut to 80 characters; null before anything was.' }),
  created_at: z.string(),
  updated_at: z.string(),
});
const trip = { object: 'conversation', id: 'http-4Jx0s2mQe9TqVvYw7bZc1dRf8gHk3LnP', platform: 'http', title: 'Plan a three-day trip to Lisbon', created_at: '2026-11-22T18:02:11.000Z', updated_at: '2026-11-22T18:09:40.000Z' } as const;
const conversationList = z.object({ object: z.literal('list'), data: z.array(conversationSchema) }).meta({ examples: [{ object: 'list', data: [trip] }] });

const messageSchema = z.object({ id: z.string(), role: z.enum(['system', 'user', 'assistant']), content: z.string(), created_at: z.string() });
const messageList = z.object({ object: z.literal('list'), data: z.array(messageSchema) }).meta({
  examples: [{
    object: 'list',
    data: [
      { id: 'http-9c1e:in', role: 'user', content: 'Plan a three-day trip to Lisbon', created_at: '2026-11-22T18:02:11.000Z' },
      { id: 'http-9c1e:out', role: 'assistant', content: 'Day 1: Alfama and the castle…', created_at: '2026-11-22T18:02:15.000Z' },
    ],
  }],
});
const params = z.object({ id: z.string().min(1).max(200) });

/**
 * GET /v1/conversations: the caller's conversations, newest first, in every chat and over HTTP (those
 * sent with `X-Conversation-Id`); GET /v1/conversations/{id}/messages: one read back.
 */
export const conversationRoutes: FastifyPluginAsyncZod<ConversationRoutesOptions> = async (app, { conversations, actorOf }) => {
  const list = {
    summary: 'List your conversations',
    description: 'Your conversations, most recently active first (`limit`, default 50): chats on every platform, and HTTP requests sent with `X-Conversation-Id`.',
    querystring: conversationListQuerySchema,
    response: { 200: conversationList },
  };
  app.get('/v1/conversations', { schema: list }, async (request) => {
    const found = await conversations.list(await actorOf(request), request.query);
    return {
      object: 'list' as const,
      data: found.map((c) => ({ object: 'conversation' as const, id: c.id, platform: c.platform, title: c.title, created_at: c.createdAt, updated_at: c.updatedAt })),
    };
  });
  const messages = {
    summary: 'Read a conversation',
    description: 'Its newest `limit` messages (default 100), oldest first, as stored: what was said and answered. Yours, or (admins) anyone\'s; any other id is 404.',
    params,
    querystring: messageListQuerySchema,
    response: { 200: messageList },
  };
  app.get('/v1/conversations/:id/messages', { schema: messages }, async (request) => {
    const found = await conversations.messages(await actorOf(request), request.params.id, request.query);
    return { object: 'list' as const, data: found.map((m) => ({ id: m.id, role: m.role, content: m.content, created_at: m.createdAt })) };
  });
};
