import type { Store } from '../../store/store.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Authenticated } from './authenticate.ts';

/** Records the conversation and the newest user message; keyed by job id, so a retry stores nothing twice. */
export function storeInput({ store }: { store: Store }): Step<JobContext & Authenticated> {
  return {
    name: 'store-input',
    async run(ctx, next) {
      const { job, user } = ctx;
      await store.ensureConversation({ id: job.conversationId, userId: user.id, platform: job.source.platform });
      // The newest user turn is this job's input; a client replaying history sends the rest again.
      const input = job.input.messages.findLast((message) => message.role === 'user');
      if (input) {
        await store.appendMessage({
          id: `${job.id}:in`,
          conversationId: job.conversationId,
          userId: user.id,
          jobId: job.id,
          role: 'user',
          content: input.content,
          createdAt: job.source.receivedAt,
        });
      }
      await next();
    },
  };
}
