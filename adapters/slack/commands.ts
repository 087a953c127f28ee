import { commandSpecs, commandSyntax, type CommandSpec } from '../../core/contracts/commands.ts';

/** One slash command the app defines in its manifest. */
export interface SlackCommandDefinition {
  name: string;
  description: string;
  /** Slack's usage_hint, after the command's name: `<user> <role>`; empty without options. */
  hint: string;
  /** Answered only to the person who asked (ephemeral): usage, codes and keys are nobody else's business. */
  private: boolean;
  /**
   * Slack's should_escape: mentions arrive as `<@U123|ann>` rather than the `@ann` typed, so a command
   * naming a person names them by id, which no rename or display name can fake.
   */
  escape: boolean;
}

/** An option that takes a person: Slack's mention, escaped, identifies them. */
const namesUser = (spec: CommandSpec) => spec.options.some((option) => option.type === 'user' || /\busers?\b/i.test(option.description));

const fromSpec = (spec: CommandSpec): SlackCommandDefinition => ({
  name: spec.name,
  description: spec.description,
  hint: commandSyntax(spec).slice(spec.name.length + 1).trim(),
  private: spec.private ?? false,
  escape: namesUser(spec),
});

/**
 * The slash commands: the gateway's own (core's commandSpecs, the same in every chat) and Slack's
 * `/ask`, since a message starting with `/` is a command to Slack's client, never a message to the bot.
 */
export const slackCommands: readonly SlackCommandDefinition[] = [
  { name: 'ask', description: 'Ask the assistant', hint: '[question]', private: false, escape: false },
  ...commandSpecs.map(fromSpec),
];
