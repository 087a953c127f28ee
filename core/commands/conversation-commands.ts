import { GatewayError } from '../errors/gateway-error.ts';
import type { Command, CommandInvocation, CommandServices } from './command.ts';

const owner = ({ actor, conversation }: CommandInvocation) => ({ id: conversation.id, userId: actor.user.id, platform: conversation.platform });

/** Commands about the chat itself: greeting, a fresh start, the model, thinking harder. */
export const conversationCommands: Record<string, Command> = {
  start: {
    usage: '/start (a greeting)',
    async run() {
      return 'Hello! I am an AI assistant. Send me a message and I will answer; /help lists what else I can do.';
    },
  },
  new: {
    usage: '/new (start a fresh conversation: I forget what came before)',
    async run({ store }, invocation) {
      await store.updateConversationSettings(owner(invocation), { historyFrom: new Date().toISOString(), thinkNext: undefined, summary: undefined });
      return 'Started a fresh conversation: I no longer see what came before.';
    },
  },
  model: {
    usage: '/model (show the model and the choices) · /model <name> (use it in this chat) · /model default',
    async run({ store, models }, invocation, args) {
      if (args.length > 1) throw new GatewayError('invalid_request', `Usage: ${conversationCommands.model!.usage}`);
      const available = ['default', 'instant', 'thinking', ...models.list().map((model) => model.id)].join(', ');
      const name = args[0];
      if (name === undefined) {
        const { model = 'default' } = await store.getConversationSettings(invocation.conversation.id);
        return `This chat uses ${model}. Available: ${available}.`;
      }
      if (name === 'default') {
        await store.updateConversationSettings(owner(invocation), { model: undefined });
        return 'This chat uses the default model again.';
      }
      models.resolve(name); // an unknown name is refused here, with what exists
      await store.updateConversationSettings(owner(invocation), { model: name });
      return `This chat now uses ${name}.`;
    },
  },
  think: {
    usage: '/think (your next message goes to the thinking model)',
    async run({ store }, invocation) {
      await store.updateConversationSettings(owner(invocation), { thinkNext: true });
      return 'Your next message goes to the thinking model: slower, and more careful.';
    },
  },
};
