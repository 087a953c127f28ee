import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandSpecs } from '../core/contracts/commands.ts';
import { snowflake, startFakeDiscord, type FakeDiscord } from './fakes/fake-discord.ts';
import { startFakeTelegram, type FakeTelegram } from './fakes/fake-telegram.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';

/**
 * Every gateway command, run by people through two platforms' real adapters (telegraf against a fake
 * Bot API, discord.js against a fake Discord), in the whole platform (`npm start`'s process). One
 * scenario, the same on both: the answers are the same, and each command's effect is read back from
 * the store and the audit trail, as another process would.
 */
type Where = 'dm' | 'group';
/** An argument: text, or a person (named as the platform lets people name them). */
type Arg = string | { user: Person };
interface Person {
  id: string;
  handle: string;
}
interface Answer {
  text: string;
  buttons: string[];
}

/** How people on one platform talk to the bot. */
interface Driver {
  platform: 'telegram' | 'discord';
  admin: Person;
  /** A person nobody has seen yet. */
  newcomer(): Person;
  /** A message typed in a chat (commands included), and the bot's answer. */
  say(as: Person, text: string, where: Where): Promise<Answer>;
  /** A command as the platform offers it (Telegram: typed; Discord: the registered slash command). */
  command(as: Person, name: string, args: Arg[], where: Where): Promise<Answer>;
  /** A press of the button labelled `label` under the bot's newest message with one, in `where` of `owner`. */
  press(as: Person, label: string, where: Where, owner: Person): Promise<Answer>;
}

let platform: PlatformProcess;
let telegram: FakeTelegram;
let discord: FakeDiscord;
const telegramAdmin = { id: '9001', handle: 'tg_admin' };
const discordAdmin = { id: snowflake(), handle: 'dc_admin' };
let people = 5000;
/** `platform/command` for every command run, typed or invoked. */
const ran = new Set<string>();
const note = (platformName: string, text: string) => {
  const name = /^\/([a-z]+)/.exec(text)?.[1];
  if (name) ran.add(`${platformName}/${name}`);
};
/** A reply as read: an error's warning sign dropped, so both platforms' answers compare as text. */
const answerOf = (visible: string, buttons: string[]): Answer => ({ text: visible.replace(/^⚠️ /, ''), buttons });

beforeAll(async () => {
  [telegram, discord] = await Promise.all([startFakeTelegram(), startFakeDiscord()]);
  platform = await startPlatformProcess({
    TELEGRAM_BOT_TOKEN: telegram.token,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    TELEGRAM_POLL_TIMEOUT_SECONDS: '1',
    DISCORD_BOT_TOKEN: discord.token,
    DISCORD_API_URL: discord.apiUrl,
    CHAT_EDIT_INTERVAL_MS: '200',
    ADMIN_USERS: `telegram:${telegramAdmin.id},discord:${discordAdmin.id}`,
  });
}, 60_000);
afterAll(async () => {
  await platform?.stop();
  await Promise.all([telegram?.close(), discord?.close()]);
});

/** Polls `read` until it gives an answer that stays the same for a moment (a live message's last edit). */
async function settle(read: () => Answer | undefined, what: string): Promise<Answer> {
  let last = '';
  let since = Date.now();
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 50))) {
    const answer = read();
    const seen = JSON.stringify(answer);
    if (seen !== last) [last, since] = [seen, Date.now()];
    else if (answer?.text && Date.now() - since >= 300) return answer;
  }
  throw new Error(`no answer to ${what}\n${platform.output().slice(-3000)}`);
}

const telegramGroup = -100_777;
const telegramDriver: Driver = {
  platform: 'telegram',
  admin: telegramAdmin,
  newcomer: () => ({ id: String((people += 1)), handle: `tg_person_${people}` }),
  async say(as, text, where) {
    const chat = where === 'dm' ? Number(as.id) : telegramGroup;
    note('telegram', text);
    const before = telegram.messages(chat).length;
    telegram.pushText(text, { userId: Number(as.id), username: as.handle, chatId: chat, chatType: where === 'dm' ? 'private' : 'supergroup' });
    return settle(() => {
      const message = telegram.messages(chat)[before];
      return message && answerOf(message.visible, message.buttons?.map((button) => button.text) ?? []);
    }, text);
  },
  command(as, name, args, where) {
    const text = [`/${name}`, ...args.map((arg) => (typeof arg === 'string' ? arg : `@${arg.user.handle}`))].join(' ');
    return this.say(as, text, where);
  },
  async press(as, label, where, owner) {
    const chat = where === 'dm' ? Number(owner.id) : telegramGroup;
    note('telegram', `/${label.toLowerCase()}`);
    const before = telegram.messages(chat).length;
    telegram.press(chat, label, { userId: Number(as.id), username: as.handle });
    return settle(() => {
      const message = telegram.messages(chat)[before];
      return message && answerOf(message.visible, message.buttons?.map((button) => button.text) ?? []);
    }, `a press of ${label}`);
  },
};

const discordChannelOf = (as: Person, where: Where) => (where === 'dm' ? undefined : discord.channelId);
/** The bot's answer to one dispatched event: its response to an interaction, or its next message in the channel. */
async function discordAnswer(channel: string, dispatched: () => Promise<Record<string, unknown>>, what: string, { interaction = true } = {}): Promise<Answer> {
  const before = discord.messages(channel).length;
  const payload = await dispatched();
  const interactionId = interaction ? String(payload.id) : undefined;
  return settle(() => {
    const message = interactionId
      ? discord.messages(channel).find((candidate) => candidate.interactionId === interactionId)
      : discord.messages(channel)[before];
    // A deferred interaction shows "<bot> is thinking…" until its answer replaces it.
    if (!message || /is thinking…$/.test(message.visible)) return undefined;
    return answerOf(message.visible, message.buttons?.map((button) => button.label) ?? []);
  }, what);
}
const dmChannels = new Map<string, string>();
const discordDriver: Driver = {
  platform: 'discord',
  admin: discordAdmin,
  newcomer: () => ({ id: snowflake(), handle: `dc_person_${(people += 1)}` }),
  async say(as, text, where) {
    note('discord', text);
    // In a server channel, a typed command is addressed to the bot by mentioning it.
    const payload = discord.message(text, { userId: as.id, dm: where === 'dm', channelId: discordChannelOf(as, where), mentionBot: where === 'group' });
    (payload.author as Record<string, unknown>).username = as.handle;
    const channel = String(payload.channel_id);
    if (where === 'dm') dmChannels.set(as.id, channel);
    return discordAnswer(channel, async () => (await discord.dispatch('MESSAGE_CREATE', payload), payload), text, { interaction: false });
  },
  async command(as, name, args, where) {
    note('discord', `/${name}`);
    const spec = commandSpecs.find((candidate) => candidate.name === name)!;
    // More words than options (`/tier global instant`) are typed into the last option, as a person would.
    const values = args.map((arg) => (typeof arg === 'string' ? arg : arg.user.id));
    const last = spec.options.length - 1;
    if (values.length > spec.options.length) values.splice(last, values.length - last, values.slice(last).join(' '));
    const options = Object.fromEntries(values.map((value, index) => [spec.options[index]!.name, value]));
    const payload = discord.interaction(name, options, { userId: as.id, dm: where === 'dm', channelId: discordChannelOf(as, where) });
    const channel = String(payload.channel_id);
    if (where === 'dm') dmChannels.set(as.id, channel);
    return discordAnswer(channel, async () => (await discord.dispatch('INTERACTION_CREATE', payload), payload), `/${name}`);
  },
  async press(as, label, where, owner) {
    const channel = where === 'dm' ? dmChannels.get(owner.id)! : discord.channelId;
    note('discord', `/${label.toLowerCase()}`);
    return discordAnswer(channel, () => discord.press(channel, label, { userId: as.id }), `a press of ${label}`);
  },
};

/** The store, read as another process would. */
function query<T>(sql: string, ...params: (string | number)[]): T[] {
  const db = new DatabaseSync(join(platform.dataDir, 'gateway.db'), { readOnly: true });
  try {
    return db.prepare(sql).all(...params) as T[];
  } finally {
    db.close();
  }
}
const userOf = (platformName: string, person: Person) =>
  query<{ id: string; role: string; requests_per_minute: number | null; tokens_per_minute: number | null }>(
    'SELECT u.* FROM identities i JOIN users u ON u.id = i.user_id WHERE i.platform = ? AND i.external_id = ?',
    platformName,
    person.id,
  )[0];
/** The newest audit record of `action`, its detail parsed. */
function audited(action: string) {
  const [record] = query<{ actor_id: string | null; outcome: string; detail: string }>('SELECT actor_id, outcome, detail FROM audit WHERE action = ? ORDER BY seq DESC LIMIT 1', action);
  return record && { actorId: record.actor_id, outcome: record.outcome, detail: JSON.parse(record.detail) as Record<string, unknown> };
}

describe.each([telegramDriver, discordDriver])('admin commands on $platform', (driver) => {
  const { admin } = driver;
  const member = driver.newcomer();
  const p = driver.platform;
  const ref = `${p}:${member.id}`;

  it('pairs a newcomer with /pair approve, shows /help by role, and refuses a non-admin (audited)', async () => {
    const waiting = await driver.say(member, 'hello', 'dm');
    const code = /\/pair approve ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(waiting.text)?.[1];
    expect(code, waiting.text).toBeDefined();
    expect(userOf(p, member)?.role).toBe('pending');
    expect((await driver.command(admin, 'pair', [], 'dm')).text).toContain(`${code}  ${ref}`);
    expect((await driver.command(admin, 'pair', ['approve', code!], 'group')).text).toBe(`Approved: ${ref} may now talk to the assistant.`);
    expect(userOf(p, member)?.role).toBe('user');
    expect(audited('pairing.approve')).toMatchObject({ outcome: 'ok', detail: { userId: userOf(p, member)!.id, role: 'user' } });

    const help = (await driver.command(member, 'help', [], 'dm')).text;
    for (const name of ['start', 'new', 'model', 'tier', 'think', 'usage', 'link', 'docs', 'confirm']) expect(help).toContain(`• /${name}`);
    for (const name of ['users', 'block', 'role', 'limits', 'keys', 'providers', 'audit', 'pair']) expect(help).not.toContain(`• /${name}`);
    expect((await driver.command(admin, 'help', [], 'dm')).text).toContain('• /keys');

    expect((await driver.command(member, 'users', [], 'dm')).text).toBe('Only an administrator can do this.');
    expect(audited('command.users')).toMatchObject({ outcome: 'refused', actorId: userOf(p, member)!.id });
    expect((await driver.command(member, 'approve', ['ABCD-EFGH'], 'dm')).text).toBe('Only an administrator can do this.');
    expect(audited('command.approve')).toMatchObject({ outcome: 'refused', actorId: userOf(p, member)!.id });
    expect((await driver.command(admin, 'deny', ['ABCD-EFGH'], 'dm')).text).toBe('That approval code is unknown, used already, or expired.');
  });

  it('/users lists people with their role and last activity; /limits shows and sets a user\'s limits', async () => {
    const listed = (await driver.command(admin, 'users', [], 'dm')).text;
    expect(listed).toMatch(new RegExp(`• ${ref} \\(@${member.handle}\\) · user · last seen \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC · usr_\\w+`));
    expect((await driver.command(admin, 'limits', [{ user: member }, '50', '100000'], 'dm')).text).toMatch(/are now 50 requests\/min, 100,000 tokens\/min\.$/);
    expect(userOf(p, member)).toMatchObject({ requests_per_minute: 50, tokens_per_minute: 100000 });
    expect(audited('user.limits')).toMatchObject({ outcome: 'ok', detail: { userId: userOf(p, member)!.id, limits: { requestsPerMinute: 50, tokensPerMinute: 100000 } } });
    expect((await driver.command(admin, 'limits', [{ user: member }], 'dm')).text).toMatch(/: 50 requests\/min, 100,000 tokens\/min\.$/);
    expect((await driver.command(admin, 'limits', [{ user: member }, 'many'], 'dm')).text).toMatch(/^Usage: \/limits .*\((argument 2: expected a number|not that many arguments)/);
  });

  it('/role and /block ask first, with buttons: Cancel calls it off, only the asking admin\'s Confirm acts; /allow lets them back', async () => {
    const asked = await driver.command(admin, 'role', [{ user: member }, 'admin'], 'group');
    expect(asked.text).toMatch(new RegExp(`^Make ${ref} \\(@${member.handle}\\) · user · .* an admin .*\\?\\nPress Confirm, or send /confirm [A-Z0-9]{4}-[A-Z0-9]{4} within 5 minutes`));
    expect(asked.buttons).toEqual(['Confirm', 'Cancel']);
    // Said back as the admin named them: `@name` on Telegram, the user picked on Discord.
    expect((await driver.press(admin, 'Cancel', 'group', admin)).text).toMatch(/^Called off: \/role (@\w+|discord:\d+) admin will not run\.$/);
    expect(userOf(p, member)?.role).toBe('user');

    expect((await driver.command(admin, 'block', [{ user: member }], 'group')).text).toMatch(new RegExp(`^Block ${ref} .*\\? They will get no more answers, anywhere\\.`));
    // The member pressing the admin's button finds nothing of theirs waiting.
    expect((await driver.press(member, 'Confirm', 'group', admin)).text).toMatch(/^Nothing of yours waits for confirmation with that code/);
    expect(userOf(p, member)?.role).toBe('user');
    expect((await driver.press(admin, 'Confirm', 'group', admin)).text).toMatch(new RegExp(`^Blocked: ${ref} .* · blocked · `));
    expect(userOf(p, member)?.role).toBe('blocked');
    expect(audited('user.role')).toMatchObject({ outcome: 'ok', detail: { userId: userOf(p, member)!.id, from: 'user', to: 'blocked' } });
    expect((await driver.say(member, 'are you there?', 'dm')).text).toBe('Your access to this assistant has been blocked by an administrator.');

    expect((await driver.command(admin, 'allow', [{ user: member }], 'group')).text).toMatch(new RegExp(`^Allowed: ${ref} .* · user · `));
    expect(userOf(p, member)?.role).toBe('user');
    expect(audited('user.role')).toMatchObject({ detail: { from: 'blocked', to: 'user' } });

    // Typed, the confirmation works the same.
    const code = /\/cancel ([A-Z0-9-]+)/.exec((await driver.command(admin, 'role', [{ user: member }, 'admin'], 'dm')).text)![1]!;
    expect((await driver.command(admin, 'cancel', [code], 'dm')).text).toMatch(/^Called off: \/role /);
    expect((await driver.command(admin, 'confirm', [code], 'dm')).text).toMatch(/^Nothing of yours waits for confirmation/);
  });

  it('/model and /tier choose for the chat, and admins for every chat', async () => {
    expect((await driver.command(admin, 'model', ['offline'], 'dm')).text).toBe('This chat now uses offline.');
    expect((await driver.command(admin, 'tier', ['thinking'], 'dm')).text).toBe('This chat now uses the thinking tier.');
    const settings = query<{ settings: string }>("SELECT settings FROM conversations WHERE id LIKE ? AND settings LIKE '%thinking%'", `${p}-%`);
    expect(settings.map((row) => JSON.parse(row.settings))).toContainEqual(expect.objectContaining({ model: 'offline', tier: 'thinking' }));
    expect((await driver.command(member, 'tier', ['global', 'instant'], 'dm')).text).toBe('Only an administrator can do this.');
    expect((await driver.command(admin, 'tier', ['global', 'instant'], 'dm')).text).toBe('Every chat without a tier of its own now uses the instant tier.');
    expect(query<{ value: string }>("SELECT value FROM settings WHERE key = 'gateway'")[0]?.value).toBe('{"tier":"instant"}');
    expect(audited('settings.tier')).toMatchObject({ outcome: 'ok', detail: { tier: 'instant' } });
    expect((await driver.command(admin, 'tier', ['global', 'auto'], 'dm')).text).toMatch(/routed per message again/);
    expect((await driver.command(member, 'model', [], 'dm')).text).toMatch(/^This chat uses the default \(chosen by tier\)\. Available: default, instant, thinking, offline\.$/);
    expect((await driver.command(member, 'think', [], 'dm')).text).toMatch(/next message goes to the thinking model/);
    expect((await driver.command(member, 'new', [], 'dm')).text).toBe('Started a fresh conversation: I no longer see what came before.');
    expect((await driver.command(member, 'start', [], 'dm')).text).toMatch(/^Hello! I am an AI assistant/);
  });

  it('/providers, /usage, /audit and /docs read the records', async () => {
    expect((await driver.command(admin, 'providers', [], 'dm')).text).toBe('Model providers:\n• offline (primary): ok. Instant offline, thinking offline.');
    expect((await driver.command(admin, 'usage', ['all'], 'dm')).text).toMatch(/^Everyone, last 30 days: \d+ messages/);
    expect((await driver.command(member, 'usage', [], 'dm')).text).toMatch(/^Last 24 hours: \d+ messages/);
    expect((await driver.command(admin, 'audit', ['3'], 'dm')).text).toMatch(/^The last 3 audit records, newest first:\n#\d+ /);
    expect((await driver.command(admin, 'audit', ['verify'], 'dm')).text).toMatch(/^The audit chain is intact: \d+ records/);
    expect((await driver.command(admin, 'docs', [], 'dm')).text).toMatch(/^No documents yet/);
    expect((await driver.command(admin, 'docs', ['remove', 'doc_missing'], 'dm')).text).toBe('There is no document doc_missing.');
  });

  it('/link and /keys reveal codes and keys only in a direct message; a key is shown once and revoked after a confirmation', async () => {
    expect((await driver.say(member, '/link', 'group')).text).toBe('A link code is shown only in a direct message: send /link to me there.');
    expect((await driver.command(member, 'link', [], 'dm')).text).toMatch(/^Your link code is [A-Z0-9]{4}-[A-Z0-9]{4}, valid until /);
    expect((await driver.command(member, 'unlink', [ref], 'dm')).text).toMatch(/the only identity/);

    expect((await driver.say(admin, '/keys create', 'group')).text).toBe('API keys are handled only in a direct message: send /keys to me there.');
    const created = (await driver.command(admin, 'keys', ['create', ref, `${p}-bot`], 'dm')).text;
    const secret = /sk-gw-[\w-]{43}/.exec(created)?.[0];
    expect(created).toMatch(new RegExp(`^Created ${p}-bot \\(key_\\w+\\), acting as ${userOf(p, member)!.id}\\. The key, shown this once:`));
    const [key] = query<{ id: string; user_id: string; prefix: string; hash: string; revoked_at: string | null }>('SELECT * FROM api_keys WHERE name = ?', `${p}-bot`);
    expect(key).toMatchObject({ user_id: userOf(p, member)!.id, prefix: secret!.slice(0, 12), revoked_at: null });
    expect(JSON.stringify(query('SELECT * FROM api_keys'))).not.toContain(secret);
    expect(audited('api_key.create')).toMatchObject({ outcome: 'ok', detail: { keyId: key!.id } });
    expect((await driver.command(admin, 'keys', ['list'], 'dm')).text).toContain(`• ${key!.id}  ${p}-bot  ${key!.prefix}…`);

    expect((await driver.command(admin, 'keys', ['revoke', key!.id], 'dm')).buttons).toEqual(['Confirm', 'Cancel']);
    expect((await driver.press(admin, 'Confirm', 'dm', admin)).text).toBe(`Revoked ${key!.id} (${p}-bot): it is refused from now on.`);
    expect(query<{ revoked_at: string | null }>('SELECT revoked_at FROM api_keys WHERE id = ?', key!.id)[0]?.revoked_at).not.toBeNull();
    expect(audited('api_key.revoke')).toMatchObject({ outcome: 'ok', detail: { keyId: key!.id } });
    expect(platform.output()).not.toContain(secret);
  });
});

it('ran every command of the catalogue, on both platforms', () => {
  for (const { name } of commandSpecs) expect([...ran].filter((run) => run.endsWith(`/${name}`)).sort(), name).toEqual([`discord/${name}`, `telegram/${name}`]);
});
