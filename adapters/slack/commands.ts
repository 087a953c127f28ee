/**
 * The slash commands the app defines (in its manifest), each the gateway's own command or a question.
 * `private` ones are answered only to the person who asked (ephemeral): usage and link codes are
 * nobody else's business.
 */
export const slackCommands = [
  { name: 'ask', description: 'Ask the assistant', hint: '[question]', private: false },
  { name: 'new', description: 'Start a fresh conversation here', hint: '', private: true },
  { name: 'model', description: 'Show or choose the model for this conversation', hint: '[model name, or default]', private: true },
  { name: 'think', description: 'Your next message goes to the thinking model', hint: '', private: true },
  { name: 'usage', description: 'What you have used', hint: '', private: true },
  { name: 'link', description: 'Link this Slack account with your other chats', hint: '[code]', private: true },
] as const;
