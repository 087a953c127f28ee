/**
 * The fake Discord's message components and interaction payloads: buttons as Discord checks and keeps
 * them, and the INTERACTION_CREATE a person's slash command or button press dispatches.
 */

/** A button under a bot's message, as a person sees and presses it. */
export interface FakeDiscordButton {
  label: string;
  customId: string;
  /** 1 primary, 2 secondary, 3 success, 4 danger. */
  style: number;
}

/** Discord's answer to a body it refuses: 400, its error code, and per-field errors (discord.js shows them). */
export interface FakeDiscordRefusal {
  status: number;
  code: number;
  message: string;
  errors?: Record<string, unknown>;
}

/** A person as Discord sends one in payloads. */
export const person = (id: string) => ({ id, username: `person${id.slice(-4)}`, discriminator: '0', global_name: `Person ${id.slice(-4)}`, avatar: null });

const tooLong = (max: number) => ({ _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` }] });
const invalid = (errors: Record<string, unknown>): FakeDiscordRefusal => ({ status: 400, code: 50035, message: 'Invalid Form Body', errors: { components: errors } });

/**
 * The buttons a message body's `components` (action rows of buttons) stand for, with Discord's checks:
 * a custom_id of at most 100 characters, a label of at most 80, five buttons to a row. `undefined`: the
 * body has no `components`, so an edit leaves the message's own.
 */
export function buttonsOf(body: Record<string, unknown>): { buttons: FakeDiscordButton[] | undefined } | FakeDiscordRefusal {
  if (body.components === undefined) return { buttons: undefined };
  const rows = body.components as { type?: number; components?: { type?: number; style?: number; label?: string; custom_id?: string }[] }[];
  if (!Array.isArray(rows) || rows.length > 5) return invalid({ _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 0 and 5 in length.' }] });
  const buttons: FakeDiscordButton[] = [];
  for (const [r, row] of rows.entries()) {
    const items = row.components ?? [];
    if (row.type !== 1 || items.length < 1 || items.length > 5) return invalid({ [r]: { _errors: [{ code: 'UNION_TYPE_CHOICES', message: 'Value of field "type" must be one of (1,).' }] } });
    for (const [c, item] of items.entries()) {
      const at = (field: string, error: unknown) => invalid({ [r]: { components: { [c]: { [field]: error } } } });
      if (item.type !== 2) return at('type', { _errors: [{ code: 'UNION_TYPE_CHOICES', message: 'Value of field "type" must be one of (2,).' }] });
      if (typeof item.custom_id !== 'string' || item.custom_id.length < 1) return at('custom_id', { _errors: [{ code: 'BASE_TYPE_REQUIRED', message: 'This field is required' }] });
      if (item.custom_id.length > 100) return at('custom_id', tooLong(100));
      if ((item.label ?? '').length > 80) return at('label', tooLong(80));
      buttons.push({ label: item.label ?? '', customId: item.custom_id, style: Number(item.style ?? 2) });
    }
  }
  return { buttons: buttons.length ? buttons : undefined };
}

/** Buttons as Discord returns them in a message object. */
export const componentsOf = (buttons: FakeDiscordButton[] | undefined) =>
  buttons ? [{ type: 1, components: buttons.map(({ label, customId, style }) => ({ type: 2, style, label, custom_id: customId })) }] : [];

/** An option's value as a test gives it: a string, number or boolean, or `{ user }` for a user picked (type 6). */
export type FakeOptionValue = string | number | boolean | { user: string };

/**
 * A slash command's options as Discord sends them: each typed as the bot registered it (a user option,
 * 6, carries the picked user's snowflake, and the user in `resolved`), else by its value.
 */
export function interactionOptions(options: Record<string, FakeOptionValue>, registered: Record<string, unknown> | undefined) {
  const declared = new Map(((registered?.options ?? []) as { name: string; type: number }[]).map((option) => [option.name, option.type]));
  const users: Record<string, unknown> = {};
  const sent = Object.entries(options).map(([name, given]) => {
    const value = typeof given === 'object' ? given.user : given;
    const type = typeof given === 'object' ? 6 : (declared.get(name) ?? (typeof value === 'number' ? 10 : typeof value === 'boolean' ? 5 : 3));
    if (type === 6) users[String(value)] = person(String(value));
    return { name, type, value };
  });
  if (!sent.length) return {};
  return { options: sent, ...(Object.keys(users).length ? { resolved: { users } } : {}) };
}

/** What every INTERACTION_CREATE carries: who, where, and the token that answers it. */
export function interactionBase(where: { id: string; type: number; token: string; applicationId: string; guildId: string; channelId: string; userId: string; dm: boolean }) {
  const { id, type, token, applicationId, guildId, channelId, userId, dm } = where;
  return {
    id,
    application_id: applicationId,
    type,
    token,
    version: 1,
    locale: 'en-US',
    app_permissions: '0',
    entitlements: [],
    authorizing_integration_owners: { '0': guildId },
    context: dm ? 1 : 0,
    channel_id: channelId,
    channel: { id: channelId, type: dm ? 1 : 0 },
    ...(dm
      ? { user: person(userId) }
      : { guild_id: guildId, guild_locale: 'en-US', member: { user: person(userId), roles: [], permissions: '0', joined_at: new Date().toISOString(), deaf: false, mute: false, flags: 0 } }),
  };
}
