export { startSlackAdapter, type SlackAdapter, type SlackAdapterOptions } from './slack-adapter.ts';
export { slackCommands } from './commands.ts';
export { slackManifest } from './manifest.ts';
export { eventToWork, commandToWork, slackJobId, slackIdentity } from './to-job.ts';
