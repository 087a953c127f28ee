import { GatewayError } from '../errors/gateway-error.ts';
import type { Command } from './command.ts';

/** Admins decide on tool calls that wait for approval (high-risk tools while untrusted content is in context). */
export const toolCommands: Record<string, Command> = {
  approve: {
    admin: true,
    usage: '/approve CODE (admins: run a tool call that waits for approval, and answer with its result)',
    async run({ approvals, store }, { actor, conversation }, args) {
      if (args.length !== 1) throw new GatewayError('invalid_request', `Usage: ${toolCommands.approve!.usage}`);
      if (!approvals) throw new GatewayError('invalid_request', 'No tools are enabled on this gateway.');
      const { pending, answer } = await approvals.approve(actor, args[0]!, { abortSignal: new AbortController().signal });
      // The answer belongs to the conversation that asked, so its next message sees it.
      await store.appendMessage({
        id: `${actor.requestId}:approved`,
        conversationId: pending.conversationId,
        userId: pending.requesterId,
        jobId: actor.requestId,
        role: 'assistant',
        content: answer,
        createdAt: new Date().toISOString(),
      });
      const where = pending.conversationId === conversation.id ? '' : ' (asked in another chat)';
      return `Approved ${pending.call.toolName}${where}.\n\n${answer}`;
    },
  },
  deny: {
    admin: true,
    usage: '/deny CODE (admins: refuse a tool call that waits for approval)',
    async run({ approvals }, { actor }, args) {
      if (args.length !== 1) throw new GatewayError('invalid_request', `Usage: ${toolCommands.deny!.usage}`);
      if (!approvals) throw new GatewayError('invalid_request', 'No tools are enabled on this gateway.');
      const pending = await approvals.deny(actor, args[0]!);
      return `Refused: ${pending.call.toolName} will not run.`;
    },
  },
};
