import { gatewayReply } from '../../commands/command-reply.ts';
import { parseCommand } from '../../commands/parse-command.ts';
import { isGatewayCommand, runCommand, type CommandServices } from '../../commands/run-command.ts';
import type { InboundJob } from '../../contracts/job.ts';
import { workspaceOf } from '../../knowledge/workspaces.ts';
import type { Step } from '../compose.ts';
import type { JobContext } from '../context.ts';
import type { Authenticated } from './authenticate.ts';
import type { Replied } from './reply.ts';

/** The gateway command a chat message is, if any. HTTP clients use the HTTP endpoints instead. */
export function commandIn(job: InboundJob) {
  if (job.source.platform === 'http') return undefined;
  const last = job.input.messages.at(-1);
  const parsed = last?.role === 'user' ? parseCommand(last.content) : undefined;
  return isGatewayCommand(parsed) ? parsed : undefined;
}

/**
 * A chat message that is a gateway command (`/link`, `/pair`…) is answered here, by the gateway, and
 * goes no further: not stored as conversation, not sent to a model. The answer is checkpointed, so a
 * retried job does not run the command twice.
 */
export function handleCommand(services: CommandServices | undefined): Step<JobContext & Authenticated> {
  return {
    name: 'handle-command',
    async run(ctx, next) {
      const command = services && commandIn(ctx.job);
      if (!command) return next();
      const { job, user } = ctx;
      const invocation = {
        actor: { user, requestId: job.requestId },
        direct: job.source.direct ?? false,
        conversation: { id: job.conversationId, platform: job.source.platform },
        workspace: workspaceOf(job),
        attachments: (job.input.attachments ?? []).map((file) => ({ ...file, data: Buffer.from(file.data, 'base64') })),
      };
      const answer = await ctx.checkpoints.once('command', () => runCommand(services, invocation, command));
      (ctx as typeof ctx & Partial<Replied>).reply = await gatewayReply(ctx, answer.text, answer.actions);
    },
  };
}
