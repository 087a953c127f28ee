import type { Message } from '../../contracts/message.ts';
import type { ConversationSettings, Store } from '../../store/store.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Authenticated } from './authenticate.ts';

export interface Recalled {
  /** The conversation's settings as this job found them (`/model`, `/think`, `/new`). */
  settings: ConversationSettings;
  /** Earlier turns for the model: a chat's own history; HTTP clients send theirs with each request. */
  history: Message[];
}

export interface RecallOptions {
  store: Store;
  /** Earlier messages (user and assistant) shown to the model. Default: 20. */
  historyMessages?: number;
}

/**
 * What the conversation remembers: its settings, and for chat platforms its recent turns since the last
 * `/new`. The settings are checkpointed, so a retried job routes as its first attempt did even though a
 * one-shot `/think` was cleared by it.
 */
export function recallConversation({ store, historyMessages = 20 }: RecallOptions): Step<JobContext & Authenticated, Recalled> {
  return {
    name: 'recall-conversation',
    async run(ctx, next) {
      const { job, user } = ctx;
      ctx.settings = await ctx.checkpoints.once('settings', () => store.getConversationSettings(job.conversationId));
      if (ctx.settings.thinkNext) {
        await store.updateConversationSettings({ id: job.conversationId, userId: user.id, platform: job.source.platform }, { thinkNext: undefined });
      }
      ctx.history = [];
      if (job.source.platform !== 'http') {
        const from = ctx.settings.historyFrom ?? '';
        const earlier = await store.listMessages(job.conversationId, { limit: historyMessages + 1 });
        ctx.history = earlier
          .filter((message) => message.jobId !== job.id && message.createdAt >= from && message.role !== 'system')
          .slice(-historyMessages)
          .map((message) => ({ role: message.role as 'user' | 'assistant', content: message.content }));
      }
      await next();
    },
  };
}
