import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commandSpecs } from '../contracts/commands.ts';
import type { JobOutcome } from '../pipeline/run-job.ts';
import { scriptedModel } from '../../test/fakes/fake-openai.ts';
import { answerOf, usePipeline, type SayOptions } from '../../test/helpers/pipeline-harness.ts';
import { commands } from './run-command.ts';

const pipeline = usePipeline();
const env = { ADMIN_USERS: 'telegram:root', OPENAI_INSTANT_MODEL: 'fast-1', OPENAI_THINKING_MODEL: 'deep-1' };
const root: SayOptions = { platform: 'telegram', user: 'root', handle: 'the_root' };
const group = (options: SayOptions): SayOptions => ({ ...options, direct: false });
const actionsOf = (outcome: JobOutcome) => (outcome.kind === 'reply' && outcome.reply.status === 'ok' ? outcome.reply.actions : undefined);
const codeIn = (text: string) => /\/confirm ([A-Z0-9]{4}-[A-Z0-9]{4})/.exec(text)?.[1] ?? '';

function start() {
  const started = pipeline.start(env);
  pipeline.upstream.handle(scriptedModel(() => 'fine'));
  const { store, say } = started;
  const audited = async (action: string) => (await store.listAudit({ action, limit: 10 }))[0];
  const userOf = (platform: 'telegram' | 'discord' | 'slack', id: string) => store.findUser({ platform, externalId: id });
  /** Someone who has written once, so the store knows them. */
  const person = async (platform: 'telegram' | 'discord' | 'slack', id: string, handle?: string) => {
    await say('hello', { platform, user: id, handle, conversationId: `${platform}-${id}` });
    return (await userOf(platform, id))!;
  };
  return { ...started, audited, userOf, person };
}

describe('admin commands from a chat', () => {
  it('are the commands every platform registers, with the same admin flags', () => {
    expect(Object.keys(commands).sort()).toEqual(commandSpecs.map((spec) => spec.name).sort());
    for (const spec of commandSpecs) expect(Boolean(commands[spec.name]!.admin), spec.name).toBe(Boolean(spec.admin));
  });

  it('refuse a non-admin clearly, and audit the attempt', async () => {
    const { say, person, audited } = start();
    const mallory = await person('discord', 'mallory');
    for (const [text, name] of [['/users', 'users'], ['/block telegram:root', 'block'], ['/keys list', 'keys'], ['/providers', 'providers'], ['/limits telegram:root 1 1', 'limits']] as const) {
      expect(answerOf(await say(text, { platform: 'discord', user: 'mallory' }))).toBe('error forbidden: Only an administrator can do this.');
      expect(await audited(`command.${name}`)).toMatchObject({ outcome: 'refused', actorId: mallory.id });
    }
    expect(answerOf(await say('/model global fast-1', { platform: 'discord', user: 'mallory' }))).toMatch(/^error forbidden/);
    expect(await audited('settings.model')).toMatchObject({ outcome: 'refused' });
  });

  it('/users lists everyone with role, @name and last activity; /allow lets a pending user in, named by @name', async () => {
    const { say, store, person, audited } = start();
    const ann = await person('telegram', '501', 'Ann_S');
    await store.setRole(ann.id, 'pending');
    const listed = answerOf(await say('/users', root));
    expect(listed).toMatch(/^\d+ users, most recently seen first:\n/);
    expect(listed).toMatch(new RegExp(`• telegram:501 \\(@ann_s\\) · pending · last seen \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d UTC · ${ann.id}`));
    expect(listed).toContain('telegram:root (@the_root) · admin');

    expect(answerOf(await say('/allow @ANN_S', root))).toBe(`Allowed: telegram:501 (@ann_s) · user · last seen ${ann.lastSeenAt.slice(0, 16).replace('T', ' ')} UTC · ${ann.id}.`);
    expect((await store.getUser(ann.id))?.role).toBe('user');
    expect(await audited('user.role')).toMatchObject({ outcome: 'ok', detail: { userId: ann.id, from: 'pending', to: 'user' } });
    expect(answerOf(await say('/allow telegram:501', root))).toMatch(/already a user, nothing changed\.$/);
    // An @name is looked up on the chat's own platform.
    expect(answerOf(await say('/allow @ann_s', { ...root, platform: 'telegram' }))).toMatch(/already a user/);
    expect(answerOf(await say('/allow @nobody', root))).toMatch(/^error not_found: No one called @nobody has written to me on telegram yet/);
  });

  it('/block asks first, with buttons; only the admin who asked can confirm, once; then the user is refused everywhere', async () => {
    const { say, store, person, audited } = start();
    const bob = await person('slack', 'T1:UBOB');
    const asked = await say('/block slack:T1:UBOB', group(root));
    const question = answerOf(asked);
    expect(question).toMatch(new RegExp(`^Block slack:T1:UBOB · user · .* · ${bob.id}\\? They will get no more answers, anywhere\\.\\nPress Confirm, or send /confirm [A-Z0-9]{4}-[A-Z0-9]{4} within 5 minutes`));
    const code = codeIn(question);
    expect(actionsOf(asked)).toEqual([
      { label: 'Confirm', command: `/confirm ${code}`, style: 'danger' },
      { label: 'Cancel', command: `/cancel ${code}` },
    ]);
    expect((await store.getUser(bob.id))?.role).toBe('user');

    // Another admin pressing the button finds nothing of theirs waiting.
    await store.setRole((await person('discord', 'other-admin')).id, 'admin');
    expect(answerOf(await say(`/confirm ${code}`, { platform: 'discord', user: 'other-admin' }))).toMatch(/^error invalid_code: Nothing of yours waits for confirmation/);

    expect(answerOf(await say(`/confirm ${code.toLowerCase()}`, group(root)))).toMatch(/^Blocked: slack:T1:UBOB · blocked · /);
    expect(await audited('user.role')).toMatchObject({ detail: { userId: bob.id, from: 'user', to: 'blocked' } });
    expect(answerOf(await say(`/confirm ${code}`, group(root)))).toMatch(/^error invalid_code/);
    expect(answerOf(await say('hello?', { platform: 'slack', user: 'T1:UBOB', conversationId: 'slack-bob' }))).toMatch(/^error forbidden: Your access to this assistant has been blocked/);
    expect(answerOf(await say('/block telegram:root', root))).toBe('error invalid_request: Admins cannot block themselves; ask another admin.');
  });

  it('/role asks first; /cancel calls it off; confirmed, the role changes', async () => {
    const { say, store, person, audited } = start();
    const cara = await person('discord', '7001', 'cara');
    const cancelled = codeIn(answerOf(await say('/role discord:7001 admin', root)));
    expect(answerOf(await say(`/cancel ${cancelled}`, root))).toBe('Called off: /role discord:7001 admin will not run.');
    expect((await store.getUser(cara.id))?.role).toBe('user');

    const question = answerOf(await say(`/role ${cara.id} admin`, root));
    expect(question).toMatch(/^Make discord:7001 \(@cara\) · user · .* an admin \(every admin command, every model and tool\)\?/);
    expect(answerOf(await say(`/confirm ${codeIn(question)}`, root))).toMatch(/^Done: discord:7001 \(@cara\) · admin · /);
    expect((await store.getUser(cara.id))?.role).toBe('admin');
    expect(await audited('user.role')).toMatchObject({ detail: { from: 'user', to: 'admin' } });
    // A newer question replaces an older one: one waits per admin.
    const first = codeIn(answerOf(await say('/role discord:7001 user', root)));
    const second = codeIn(answerOf(await say('/role discord:7001 user', root)));
    expect(answerOf(await say(`/confirm ${first}`, root))).toMatch(/^error invalid_code/);
    expect(answerOf(await say(`/confirm ${second}`, root))).toMatch(/^Done: .* · user · /);

    expect(answerOf(await say('/role discord:7001 boss', root))).toBe(
      'error invalid_request: Usage: /role <user> admin|user (admins: change a user\'s role; asks to confirm) (argument 2: Invalid option: expected one of "admin"|"user").',
    );
    expect(answerOf(await say('/role', root))).toMatch(/^error invalid_request: Usage: \/role .*\(an argument is missing\)\.$/);
    expect(answerOf(await say('/role telegram:root user', root))).toBe('error invalid_request: Admins cannot demote themselves; ask another admin.');
  });

  it('/limits shows and sets a user\'s per-minute limits, and they apply', async () => {
    const { say, store, person, audited } = start();
    const dan = await person('telegram', '802');
    expect(answerOf(await say('/limits telegram:802', root))).toMatch(/^Limits of telegram:802 · user · .*: role default requests\/min, role default tokens\/min\.$/);
    expect(answerOf(await say('/limits telegram:802 1 0', root))).toMatch(/^Limits of telegram:802 .* are now 1 requests\/min, unlimited tokens\/min\.$/);
    expect((await store.getUser(dan.id))?.limits).toEqual({ requestsPerMinute: 1, tokensPerMinute: 0 });
    expect(await audited('user.limits')).toMatchObject({ detail: { userId: dan.id, limits: { requestsPerMinute: 1, tokensPerMinute: 0 } } });
    expect(answerOf(await say('/limits telegram:802 ten 5', root))).toMatch(/^error invalid_request: Usage: \/limits .*\(argument 2: expected a number \(0: unlimited\) or default\)\.$/);
    expect(answerOf(await say('/limits telegram:802 default default', root))).toMatch(/are now role default requests\/min, role default tokens\/min\.$/);
    expect(answerOf(await say('/limits 802 1 1', root))).toMatch(/^error invalid_request: Usage: \/limits .*argument 1: expected a user/);
  });

  it('/model and /tier set this chat\'s choice, and admins the gateway\'s default; the next message follows them', async () => {
    const { say } = start();
    const chat = { ...root, conversationId: 'telegram-tiers' };
    const routeOf = async (options: SayOptions) => {
      const outcome = await say('hello there', options);
      return outcome.kind === 'reply' && outcome.reply.status === 'ok' ? [outcome.reply.route?.tier, outcome.reply.model] : answerOf(outcome);
    };
    expect(await routeOf(chat)).toEqual(['instant', 'openai/fast-1']);
    expect(answerOf(await say('/tier global thinking', root))).toBe('Every chat without a tier of its own now uses the thinking tier.');
    expect(await routeOf(chat)).toEqual(['thinking', 'openai/deep-1']);
    expect(answerOf(await say('/tier instant', chat))).toBe('This chat now uses the instant tier.');
    expect(answerOf(await say('/tier', chat))).toBe("This chat's tier: instant.");
    expect(await routeOf(chat)).toEqual(['instant', 'openai/fast-1']);
    expect(await routeOf({ ...root, conversationId: 'telegram-elsewhere' })).toEqual(['thinking', 'openai/deep-1']);
    expect(answerOf(await say('/model global openai/deep-1', root))).toBe('Every chat without a model of its own now uses openai/deep-1.');
    expect(answerOf(await say('/model', { ...root, conversationId: 'telegram-new' }))).toMatch(/^This chat uses the default \(openai\/deep-1\)\./);
    expect(answerOf(await say('/model global gpt-9', root))).toMatch(/^error model_not_found/);
    expect(answerOf(await say('/tier sideways', chat))).toMatch(/^error invalid_request: Usage: \/tier .*\(argument 1: /);
    expect(answerOf(await say('/tier global auto', root))).toMatch(/routed per message again/);
    expect(answerOf(await say('/model global default', root))).toMatch(/routed by tier again/);
  });

  it('/providers shows each provider\'s health and circuits', async () => {
    const { say } = start();
    expect(answerOf(await say('/providers', root))).toMatch(/^Model providers:\n• openai \(primary\): ok\. Instant fast-1, thinking deep-1\./);
  });

  it('/providers shows the routing policy in force, and a refused change of its file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'policy-')), 'routing.json');
    const arms = [{ id: 'control', provider: 'openai', model: 'fast-1', weight: 70 }, { id: 'candidate', provider: 'openai', model: 'fast-2', weight: 30 }];
    writeFileSync(file, JSON.stringify({ name: 'ab', tiers: { instant: { strategy: 'weighted', deployments: arms } } }));
    const { say, routing } = pipeline.start({ ...env, ROUTING_POLICY_FILE: file });
    pipeline.upstream.handle(scriptedModel(() => 'fine'));
    expect(answerOf(await say('/providers', root))).toMatch(/\nRouting policy ab:\n• instant: weighted among control 70, candidate 30$/);
    writeFileSync(file, '{ "tiers": 1 }');
    expect(routing?.reload()).toBe(false);
    expect(answerOf(await say('/providers', root))).toMatch(
      /\nRouting policy ab:\n• instant: weighted among control 70, candidate 30\n⚠ ROUTING_POLICY_FILE .* was refused: tiers: .*\. The policy above stays in force\.$/,
    );
  });

  it('/keys answers only in a direct message: a key shown once, listed by prefix, revoked after a confirmation', async () => {
    const { say, store, person, audited } = start();
    expect(answerOf(await say('/keys create', group(root)))).toBe('error forbidden: API keys are handled only in a direct message: send /keys to me there.');
    expect(await store.listApiKeys()).toEqual([]);
    const erin = await person('slack', 'T1:UERIN');
    const created = answerOf(await say('/keys create slack:T1:UERIN ci-bot', root));
    const secret = /sk-gw-[\w-]{43}/.exec(created)?.[0] ?? '';
    expect(created).toMatch(new RegExp(`^Created ci-bot \\(key_\\w+\\), acting as ${erin.id}\\. The key, shown this once:\\nsk-gw-`));
    const [key] = await store.listApiKeys();
    expect(key).toMatchObject({ name: 'ci-bot', userId: erin.id, prefix: secret.slice(0, 12) });
    expect(await audited('api_key.create')).toMatchObject({ detail: { keyId: key!.id, userId: erin.id } });
    expect(JSON.stringify(await store.listAudit({ limit: 100 }))).not.toContain(secret);

    const listed = answerOf(await say('/keys list', root));
    expect(listed).toContain(`• ${key!.id}  ci-bot  ${key!.prefix}…  user ${erin.id}  expires never`);
    expect(listed).not.toContain(secret);

    const question = answerOf(await say(`/keys revoke ${key!.id}`, root));
    expect(question).toMatch(new RegExp(`^Revoke ${key!.id} \\(ci-bot, ${key!.prefix}…, user ${erin.id}\\)\\?`));
    expect((await store.getApiKey(key!.id))?.revokedAt).toBeNull();
    expect(answerOf(await say(`/confirm ${codeIn(question)}`, root))).toBe(`Revoked ${key!.id} (ci-bot): it is refused from now on.`);
    expect((await store.getApiKey(key!.id))?.revokedAt).not.toBeNull();
    expect(await audited('api_key.revoke')).toMatchObject({ detail: { keyId: key!.id } });
    expect(answerOf(await say(`/keys revoke ${key!.id}`, root))).toMatch(/was revoked already/);
    expect(answerOf(await say('/keys rotate', root))).toMatch(/^error invalid_request: Usage: \/keys/);
  });

  it('/pair lists waiting codes only in a direct message', async () => {
    const { say } = start();
    expect(answerOf(await say('/pair', group(root)))).toBe('error forbidden: Pairing codes are listed only in a direct message: send /pair to me there.');
    expect(answerOf(await say('/pair', root))).toBe('No one is waiting for approval.');
  });
});
