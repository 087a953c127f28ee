import type { Message } from '../../contracts/message.ts';
import type { ConversationSettings, Store } from '../../store/store.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Authenticated } from './authenticate.ts';

/** An earlier turn, with its stored id and when it was said. */
export type RecalledTurn = Message & { id: string; at: string };

export interface Recalled {
  /** The conversation's settings as this job found them (`/model`, `/think`, `/new`, the summary). */
  settings: ConversationSettings;
  /**
   * Earlier turns for the model, oldest first: a chat's own history since `/new` and after what its
   * summary covers. HTTP clients send theirs with each request, so theirs is empty.
   */
  history: RecalledTurn[];
}

export interface RecallOptions {
  store: Store;
  /** Earlier messages read at most; the prompt's token budget decides how many are shown. Default: 200. */
  maxMessages?: number;
}

/**
 * What the conversation remembers: its settings, and for chat platforms its recent turns. The settings
 * are checkpointed, so a retried job routes as its first attempt did even though a one-shot `/think`
 * was cleared by it.
 */
export function recallConversation({ store, maxMessages = 200 }: RecallOptions): Step<JobContext & Authenticated, Recalled> {
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
        const { historyFrom = '', summary } = ctx.settings;
        const earlier = await store.listMessages(job.conversationId, { limit: maxMessages + 1 });
        // After the summary: by id, since two messages can share a millisecond; by time when it is older than the list.
        const summarized = summary ? earlier.findIndex((message) => message.id === summary.throughId) : -1;
        ctx.history = earlier
          .slice(summarized + 1)
          .filter((message) => message.jobId !== job.id && message.createdAt >= historyFrom && message.role !== 'system')
          .filter((message) => !summary || summarized >= 0 || message.createdAt > summary.through)
          .slice(-maxMessages)
          .map((message) => ({ role: message.role as 'user' | 'assistant', content: message.content, id: message.id, at: message.createdAt }));
      }
      await next();
    },
  };
}
