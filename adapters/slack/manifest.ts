import { slackCommands } from './commands.ts';

export interface ManifestOptions {
  /** The app's name in Slack. Default: Assistant. */
  name?: string;
  /** The platform's public base URL (https://bot.example.com): events, commands and button presses go to it, on `eventsPath`. Unset: Socket Mode. */
  publicUrl?: string;
  /** Default: /slack/events. */
  eventsPath?: string;
}

/**
 * A Slack app manifest (https://api.slack.com/reference/manifests) for this adapter: the bot scopes
 * it uses, the events it answers, its slash commands (core's commands and `/ask`), interactivity (the
 * buttons under replies), and where they all go: the public URL (Events API) or Socket Mode when there
 * is none. Pasted into "Create New App → From a manifest", the app is set up.
 */
export function slackManifest({ name = 'Assistant', publicUrl, eventsPath = '/slack/events' }: ManifestOptions = {}) {
  const url = publicUrl ? `${publicUrl.replace(/\/+$/, '')}${eventsPath}` : undefined;
  return {
    _metadata: { major_version: 1, minor_version: 1 },
    display_information: { name, description: 'An AI assistant: mention it, message it, or use /ask.' },
    features: {
      app_home: { home_tab_enabled: false, messages_tab_enabled: true, messages_tab_read_only_enabled: false },
      bot_user: { display_name: name, always_online: true },
      slash_commands: slackCommands.map((command) => ({
        command: `/${command.name}`,
        description: command.description,
        ...(command.hint ? { usage_hint: command.hint } : {}),
        should_escape: command.escape,
        ...(url ? { url } : {}),
      })),
    },
    oauth_config: {
      scopes: {
        // Mentions and direct messages in, replies out, commands, people's names for their mentions, and
        // the files an admin shares with /docs add.
        bot: ['app_mentions:read', 'chat:write', 'commands', 'files:read', 'im:history', 'im:read', 'im:write', 'users:read'],
      },
    },
    settings: {
      event_subscriptions: { ...(url ? { request_url: url } : {}), bot_events: ['app_mention', 'message.im'] },
      // Button presses (a command's Confirm and Cancel) come to the same URL as events and commands.
      interactivity: { is_enabled: true, ...(url ? { request_url: url } : {}) },
      org_deploy_enabled: false,
      socket_mode_enabled: !url,
      token_rotation_enabled: false,
    },
  };
}
