/** A string option of an application command (Discord's option type 3). */
const text = (name: string, description: string, required = false) => ({ type: 3, name, description, required, max_length: 4000 });

/**
 * The application (slash) commands registered at start, each becoming the gateway's own command or a
 * question. `private` ones are answered only to the person who asked (an ephemeral response): usage and
 * link codes are nobody else's business.
 */
export const discordCommands = [
  { name: 'ask', description: 'Ask the assistant', options: [text('question', 'What you want to ask', true)], private: false },
  { name: 'new', description: 'Start a fresh conversation in this channel', options: [], private: false },
  { name: 'model', description: 'Show or choose the model for this channel', options: [text('name', 'A model name, or "default"')], private: false },
  { name: 'think', description: 'Your next message goes to the thinking model', options: [], private: false },
  { name: 'usage', description: 'What you have used', options: [], private: true },
  { name: 'link', description: 'Link this Discord account with your other chats', options: [text('code', 'The code another chat gave you')], private: true },
  { name: 'help', description: 'What the assistant can do, and the commands', options: [], private: true },
] as const;

export type DiscordCommandName = (typeof discordCommands)[number]['name'];

/** The commands as Discord's bulk-overwrite endpoint takes them (PUT /applications/{id}/commands). */
export const commandRegistrations = () => discordCommands.map(({ private: _, ...command }) => ({ type: 1, ...command }));
