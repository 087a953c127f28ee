import { z } from 'zod';
import { auditAction, requireAdmin } from '../identity/actor.ts';
import { parseArgs } from './command-args.ts';
import type { Command, CommandInvocation, CommandServices } from './command.ts';

const owner = ({ actor, conversation }: CommandInvocation) => ({ id: conversation.id, userId: actor.user.id, platform: conversation.platform });

const usages = {
  model: '/model (this chat\'s model, and the choices) · /model <name> (use it here) · /model default · admins: /model global <name>|default (every chat without its own)',
  tier: '/tier (this chat\'s tier) · /tier instant|thinking|auto (when no model is chosen) · admins: /tier global instant|thinking|auto',
};
const modelName = z.string().regex(/^[\w./:@-]{1,200}$/, { error: 'expected a model name such as openai/gpt-4o-mini' });
const tierName = z.enum(['instant', 'thinking', 'auto']);
const modelArgs = z.union([z.tuple([]), z.tuple([modelName]), z.tuple([z.literal('global'), modelName])]);
const tierArgs = z.union([z.tuple([]), z.tuple([tierName]), z.tuple([z.literal('global'), tierName])]);

/** Whether `args` reach for the gateway-wide setting; only admins may, and a refusal is audited. */
async function global(services: CommandServices, { actor }: CommandInvocation, args: string[], action: string) {
  if (args[0] !== 'global') return false;
  await requireAdmin(services.store, actor, action);
  return true;
}

/** Commands about the chat itself: greeting, a fresh start, the model and tier, thinking harder. */
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
    usage: usages.model,
    async run(services, invocation, args) {
      const { store, models, defaults } = services;
      parseArgs(modelArgs, args, usages.model);
      const everywhere = await global(services, invocation, args, 'settings.model');
      const name = args.at(-1);
      const available = ['default', 'instant', 'thinking', ...models.list().map((model) => model.id)].join(', ');
      if (name === undefined) {
        const [{ model }, gateway] = await Promise.all([store.getConversationSettings(invocation.conversation.id), defaults.get()]);
        return `This chat uses ${model ?? `the default (${gateway.model ?? 'chosen by tier'})`}. Available: ${available}.`;
      }
      if (name !== 'default') models.resolve(name); // an unknown name is refused here, with what exists
      const model = name === 'default' ? undefined : name;
      if (everywhere) {
        await defaults.update({ model });
        await auditAction(store, invocation.actor, 'settings.model', { model: model ?? 'default' });
        return model ? `Every chat without a model of its own now uses ${model}.` : 'Chats without a model of their own are routed by tier again.';
      }
      await store.updateConversationSettings(owner(invocation), { model });
      return model ? `This chat now uses ${model}.` : 'This chat uses the default model again.';
    },
  },
  tier: {
    usage: usages.tier,
    async run(services, invocation, args) {
      const { store, defaults } = services;
      parseArgs(tierArgs, args, usages.tier);
      const everywhere = await global(services, invocation, args, 'settings.tier');
      const name = args.at(-1) as z.infer<typeof tierName> | undefined;
      if (name === undefined) {
        const [{ tier, model }, gateway] = await Promise.all([store.getConversationSettings(invocation.conversation.id), defaults.get()]);
        const mine = tier ?? `the default (${gateway.tier ?? 'auto: the router picks per message'})`;
        return `This chat's tier: ${mine}.${model ? ` It names a model (${model}), which wins over any tier.` : ''}`;
      }
      const tier = name === 'auto' ? undefined : name;
      if (everywhere) {
        await defaults.update({ tier });
        await auditAction(store, invocation.actor, 'settings.tier', { tier: tier ?? 'auto' });
        return tier ? `Every chat without a tier of its own now uses the ${tier} tier.` : 'Chats without a tier of their own are routed per message again (auto).';
      }
      await store.updateConversationSettings(owner(invocation), { tier });
      return tier ? `This chat now uses the ${tier} tier.` : 'This chat is routed per message again (auto).';
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
