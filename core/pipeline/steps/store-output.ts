import { textOf } from '../../models/collect-stream.ts';
import type { Store } from '../../store/store.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Authenticated } from './authenticate.ts';
import type { Inferred } from './infer.ts';

/** Records the assistant's answer, keyed by job id. */
export function storeOutput({ store }: { store: Store }): Step<JobContext & Authenticated & Inferred> {
  return {
    name: 'store-output',
    async run(ctx, next) {
      const { job, user, result } = ctx;
      await store.appendMessage({
        id: `${job.id}:out`,
        conversationId: job.conversationId,
        userId: user.id,
        jobId: job.id,
        role: 'assistant',
        content: textOf(result.content),
        createdAt: new Date().toISOString(),
      });
      await next();
    },
  };
}
