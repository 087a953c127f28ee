/**
 * The gateway's chat commands as every platform registers them: Telegram's command menu, Discord's
 * application commands, Slack's slash commands. Core runs them (core/commands/); adapters only register
 * them and turn an invocation into the text `/name arg arg…`, the same text a person could type.
 */

/** One positional argument. Platforms that prompt for arguments (Discord) offer it as an option. */
export interface CommandOption {
  /** 1-32 lower-case letters: Discord's rule for option names. */
  name: string;
  /** At most 100 characters: Discord's limit. */
  description: string;
  /** `user`: a person; Discord offers its user picker and the adapter writes `discord:<id>`. Default: text. */
  type?: 'text' | 'user';
  /** Required options come first (Discord insists). Default: optional. */
  required?: boolean;
  /** The only values it takes, offered as a list where the platform can. */
  choices?: readonly string[];
}

export interface CommandSpec {
  name: string;
  /** At most 100 characters. */
  description: string;
  options: readonly CommandOption[];
  /** Only admins may run it; /help shows it only to them. Default: anyone. */
  admin?: boolean;
  /**
   * Answered only to the person who asked where the platform can (Discord and Slack ephemeral responses),
   * which then counts as a direct message: keys and codes may be shown. Default: seen by the chat.
   */
  private?: boolean;
}

const text = (name: string, description: string, more: Omit<CommandOption, 'name' | 'description'> = {}): CommandOption => ({ name, description, ...more });
const user = (description = 'The user: a mention, platform:id or usr_… id'): CommandOption => ({ name: 'user', description, type: 'user', required: true });

export const commandSpecs: readonly CommandSpec[] = [
  { name: 'start', description: 'Say hello', options: [] },
  { name: 'help', description: 'What the assistant can do, and the commands you may use', options: [], private: true },
  { name: 'new', description: 'Start a fresh conversation here', options: [] },
  { name: 'model', description: "Show or choose this chat's model; admins: global <model> for every chat", options: [text('model', 'A model id or provider/model, or default; global <model> for every chat')] },
  { name: 'tier', description: "Show or choose this chat's tier: instant, thinking or auto; admins: global <tier>", options: [text('tier', 'instant, thinking or auto; global <tier> for every chat')] },
  { name: 'think', description: 'Your next message goes to the thinking model', options: [] },
  { name: 'usage', description: 'What you have used; admins: anyone, or all', options: [text('who', 'Admins: a user, or all'), text('days', 'How many days back (default 30)')], private: true },
  { name: 'link', description: 'Link this account with your other chats', options: [text('code', 'The code another chat gave you')], private: true },
  { name: 'unlink', description: 'Make one of your linked identities an account of its own', options: [text('identity', 'platform:id', { required: true })], private: true },
  { name: 'docs', description: 'The documents this chat searches: list, add, or remove (admins)', options: [text('action', 'list, add or remove', { choices: ['list', 'add', 'remove'] }), text('target', 'A URL to add, or a document id to remove')] },
  { name: 'users', description: 'Users with their roles and last activity', options: [], admin: true, private: true },
  { name: 'allow', description: 'Let a user talk to the assistant (a pending or blocked one)', options: [user()], admin: true },
  { name: 'block', description: 'Block a user (asks to confirm)', options: [user()], admin: true },
  { name: 'role', description: "Change a user's role (asks to confirm)", options: [user(), text('role', 'admin or user', { required: true, choices: ['admin', 'user'] })], admin: true },
  {
    name: 'limits',
    description: "Show or set a user's requests and tokens per minute",
    options: [user(), text('requests', 'Requests per minute, or default'), text('tokens', 'Tokens per minute, or default')],
    admin: true,
  },
  { name: 'pair', description: 'Users waiting for approval; approve or deny one', options: [text('action', 'approve or deny', { choices: ['approve', 'deny'] }), text('code', 'Their code')], admin: true, private: true },
  { name: 'providers', description: 'The model providers: health and circuit state', options: [], admin: true, private: true },
  { name: 'audit', description: 'The last audit records, or verify the hash chain', options: [text('n', 'How many records (default 10), or verify')], admin: true, private: true },
  {
    name: 'keys',
    description: 'API keys: create (shown once), list, revoke (asks to confirm)',
    options: [text('action', 'create, list or revoke', { required: true, choices: ['create', 'list', 'revoke'] }), text('target', 'create: the user it acts as (default: new); revoke: the key id'), text('name', 'create: a name for the key')],
    admin: true,
    private: true,
  },
  { name: 'approve', description: 'Run a tool call that waits for approval', options: [text('code', 'Its code', { required: true })], admin: true },
  { name: 'deny', description: 'Refuse a tool call that waits for approval', options: [text('code', 'Its code', { required: true })], admin: true },
  { name: 'confirm', description: 'Go ahead with what I asked you to confirm', options: [text('code', 'The code I gave', { required: true })] },
  { name: 'cancel', description: 'Call off what I asked you to confirm', options: [text('code', 'The code I gave', { required: true })] },
];

/** How a command is called, from its options: `/role <user> <role>`, `/usage [who] [days]`. */
export const commandSyntax = ({ name, options }: CommandSpec) =>
  [`/${name}`, ...options.map((option) => (option.required ? `<${option.name}>` : `[${option.name}]`))].join(' ');
