import { commandSpecs, type CommandOption, type CommandSpec } from '../../core/contracts/commands.ts';

/**
 * The adapter's own command: a question to the model. In a server the bot otherwise hears only what
 * mentions it; /ask is the way to ask without that.
 */
const ask: CommandSpec = { name: 'ask', description: 'Ask the assistant', options: [{ name: 'question', description: 'What you want to ask', required: true }] };

/**
 * The application (slash) commands registered at start: `ask`, and the gateway's own commands as core
 * lists them, so every chat offers the same ones. `private` ones are answered only to the person who
 * asked (an ephemeral response): codes and keys are nobody else's business.
 */
export const discordCommands: readonly CommandSpec[] = [ask, ...commandSpecs];

/** Discord's application command option types. */
const optionTypes = { string: 3, user: 6 } as const;
/** A message holds 2000 characters; a command's text may be two of them, as a typed message may not. */
const maxStringLength = 4000;

const optionType = (option: CommandOption) => (option.type === 'user' ? optionTypes.user : optionTypes.string);

function registeredOption(option: CommandOption) {
  const { name, description, required = false, choices } = option;
  const type = optionType(option);
  if (type === optionTypes.user) return { type, name, description, required };
  // A list of choices bounds the value already; Discord shows it as a picker.
  if (choices) return { type, name, description, required, choices: choices.map((choice) => ({ name: choice, value: choice })) };
  return { type, name, description, required, max_length: maxStringLength };
}

/** The commands as Discord's bulk-overwrite endpoint takes them (PUT /applications/{id}/commands); type 1 a slash command. */
export const commandRegistrations = () =>
  discordCommands.map(({ name, description, options }) => ({ type: 1, name, description, options: options.map(registeredOption) }));
