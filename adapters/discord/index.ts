export { startDiscordAdapter, type DiscordAdapter, type DiscordAdapterOptions } from './discord-adapter.ts';
export { discordCommands, commandRegistrations } from './commands.ts';
export { messageToEvent, interactionToEvent, discordJobId, type DiscordEvent } from './to-job.ts';
