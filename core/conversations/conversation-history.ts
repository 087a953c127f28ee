import { z } from 'zod';
import { GatewayError } from '../errors/gateway-error.ts';
import type { Actor } from '../identity/actor.ts';
import type { Conversation, StoredMessage, Store } from '../store/store.ts';

/** How many of their conversations a person may list at once, and how many messages of one. */
export const conversationListQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });
export const messageListQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export interface ConversationSummary extends Conversation {
  /** The first thing the person said, cut to 80 characters; null before they said anything. */
  title: string | null;
}

const titleOf = (message: StoredMessage | undefined) => {
  if (!message) return null;
  const line = message.content.replace(/\s+/g, ' ').trim();
  return line.length > 80 ? `${line.slice(0, 79)}…` : line;
};

/**
 * A person's conversations as the gateway stored them, in every chat and over HTTP: listed newest
 * first, and read back. Someone else's conversation is not found (admins read anyone's), so ids
 * reveal nothing.
 */
export class ConversationHistory {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  async list(actor: Actor, { limit }: z.infer<typeof conversationListQuerySchema>): Promise<ConversationSummary[]> {
    const conversations = await this.#store.listConversations(actor.user.id, { limit });
    return Promise.all(conversations.map(async (conversation) => ({ ...conversation, title: titleOf(await this.#store.firstUserMessage(conversation.id)) })));
  }

  /** The newest `limit` messages, oldest first. */
  async messages(actor: Actor, id: string, { limit }: z.infer<typeof messageListQuerySchema>): Promise<StoredMessage[]> {
    const conversation = await this.#store.getConversation(id);
    if (!conversation || (conversation.userId !== actor.user.id && actor.user.role !== 'admin')) {
      throw new GatewayError('not_found', `There is no conversation ${id}.`, { param: 'id' });
    }
    return this.#store.listMessages(id, { limit });
  }
}
