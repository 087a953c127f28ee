export { startSlackAdapter, type SlackAdapter, type SlackAdapterOptions } from './slack-adapter.ts';
export { slackCommands, type SlackCommandDefinition } from './commands.ts';
export { slackManifest } from './manifest.ts';
export { eventToWork, commandToWork, pressToWork, slackJobId, slackIdentity, slackUserRef } from './to-job.ts';
