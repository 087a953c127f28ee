import { WebClient } from '@slack/web-api';
import { decodeJwt } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { InboundJob } from '../../core/contracts/job.ts';
import type { ReplyAction } from '../../core/contracts/reply.ts';
import { startFakeSlack, type FakeSlack } from '../../test/fakes/fake-slack.ts';
import { useChatHarness } from '../../test/helpers/chat-harness.ts';
import { waitUntil } from '../../test/helpers/processes.ts';
import { buildProbeServer } from '../http/index.ts';
import type { ChatAdapterParts } from '../kit/chat-adapter.ts';
import { startSlackAdapter, type SlackAdapter } from './slack-adapter.ts';
import { slackTransport } from './slack-transport.ts';
import { okReply } from '../kit/conformance.ts';

/** Buttons under replies (a command's Confirm and Cancel) and their presses, through bolt against the fake Slack. */
const harness = useChatHarness('slack');
const running: { close(): Promise<unknown> }[] = [];
afterEach(async () => {
  for (const thing of running.splice(0).reverse()) await thing.close();
});
const started = async <T extends { close(): Promise<unknown> }>(thing: T) => (running.push(thing), thing);

const confirmButtons: ReplyAction[] = [
  { label: 'Confirm', command: '/confirm ABCDEFGH', style: 'danger' },
  { label: 'Cancel', command: '/cancel ABCDEFGH' },
];
const shownButtons = [
  { label: 'Confirm', value: '/confirm ABCDEFGH', actionId: 'gateway_command_0', style: 'danger' },
  { label: 'Cancel', value: '/cancel ABCDEFGH', actionId: 'gateway_command_1' },
];

/** The Slack user a job's identity token names. */
const subjectOf = (job: InboundJob) => decodeJwt(job.identityToken).sub;

/** An adapter on the Events API, mounted on a server of its own; `post` signs and posts a body as Slack does. */
async function overHttp(slack: FakeSlack, parts: ChatAdapterParts) {
  const adapter = await started(await startSlackAdapter({ ...parts, token: slack.botToken, signingSecret: slack.signingSecret, apiUrl: slack.apiUrl }));
  const server = await started(buildProbeServer({ log: parts.log, checks: {}, routes: [adapter.webhook!] }));
  await server.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(server.server.address() as { port: number }).port}/slack/events`;
  const post = async (raw: string, contentType: string) => {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': contentType, ...slack.sign(raw) }, body: raw });
    return { status: response.status, text: await response.text() };
  };
  return {
    adapter,
    command: (body: Record<string, string>) => post(new URLSearchParams(body).toString(), 'application/x-www-form-urlencoded'),
    event: (body: Record<string, unknown>) => post(JSON.stringify(body), 'application/json'),
    press: (payload: Record<string, unknown>) => post(slack.interactionForm(payload), 'application/x-www-form-urlencoded'),
  };
}

describe('Slack buttons', () => {
  it("shows a reply's actions as buttons under a command's answer, and takes a press over HTTP as its command from the presser", async () => {
    const slack = await started(await startFakeSlack());
    const { parts, jobs } = await harness.fresh();
    const http = await overHttp(slack, parts);

    expect((await http.command(slack.command('/block', '<@U0ANN|ann>', { user: 'U0ADMIN', channel: 'C0ADMINS' }))).status).toBe(200);
    expect(await waitUntil(() => jobs.length === 1)).toBe(true);
    const [asked] = jobs;
    expect(asked!.input.messages[0]!.content).toBe('/block slack:T0FAKETEAM:U0ANN');
    await http.adapter.deliver(okReply(asked!, 'Block **Ann**?', confirmButtons));
    const [question] = slack.messages('C0ADMINS');
    expect(question).toMatchObject({ visible: 'Block Ann?', responseType: 'in_channel', buttons: shownButtons });

    // Pressed by another admin in the channel: their command, in that channel, answered through the press's response_url.
    const payload = slack.press('C0ADMINS', 'Confirm', { user: 'U0ADMIN2' });
    const pressed = await http.press(payload);
    expect(pressed).toEqual({ status: 200, text: '' });
    expect(await waitUntil(() => jobs.length === 2)).toBe(true);
    const job = jobs[1]!;
    expect(job).toMatchObject({
      id: `slack-${String(payload.trigger_id)}`,
      conversationId: 'slack-T0FAKETEAM-C0ADMINS',
      input: { messages: [{ role: 'user', content: '/confirm ABCDEFGH' }] },
      source: { platform: 'slack', direct: false },
      replyTo: { adapter: 'slack', chat: { id: 'C0ADMINS', interactionId: String(payload.trigger_id) } },
      request: { stream: false },
    });
    expect(subjectOf(job)).toBe('T0FAKETEAM:U0ADMIN2');
    expect(JSON.stringify(job)).not.toContain('/actions/');

    await http.adapter.deliver(okReply(job, 'Blocked Ann.'));
    expect(slack.messages('C0ADMINS').map((message) => [message.visible, message.responseType, message.buttons])).toEqual([
      ['Block Ann?', 'in_channel', shownButtons],
      ['Blocked Ann.', 'in_channel', undefined],
    ]);
    expect(slack.requests.filter((request) => request.url.startsWith('/actions/'))).toHaveLength(1);

    // The same press delivered again is the same job.
    await http.press(payload);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(new Set(jobs.map((queued) => queued.id)).size).toBe(2);
  });

  it('answers a press under a private answer privately, as if direct, and ignores a button that is no command', async () => {
    const slack = await started(await startFakeSlack());
    const { parts, jobs } = await harness.fresh();
    const http = await overHttp(slack, parts);
    await http.command(slack.command('/keys', 'revoke key_123', { user: 'U0ADMIN', channel: 'C0OPS' }));
    expect(await waitUntil(() => jobs.length === 1)).toBe(true);
    expect(jobs[0]!.source.direct).toBe(true);
    await http.adapter.deliver(okReply(jobs[0]!, 'Revoke key_123?', confirmButtons));
    expect(slack.messages('C0OPS')[0]).toMatchObject({ responseType: 'ephemeral', buttons: shownButtons });

    const payload = slack.press('C0OPS', 'Cancel', { user: 'U0ADMIN' });
    expect(payload).toMatchObject({ container: { is_ephemeral: true } });
    await http.press(payload);
    expect(await waitUntil(() => jobs.length === 2)).toBe(true);
    expect(jobs[1]).toMatchObject({ input: { messages: [{ content: '/cancel ABCDEFGH' }] }, source: { direct: true } });
    await http.adapter.deliver(okReply(jobs[1]!, 'Called off.'));
    expect(slack.messages('C0OPS').at(-1)).toMatchObject({ visible: 'Called off.', responseType: 'ephemeral' });

    const notACommand = { ...payload, trigger_id: '1.2.other', actions: [{ ...(payload.actions as object[])[0], value: 'yes' }] };
    expect((await http.press(notACommand)).status).toBe(200);
    const malformed = { ...payload, trigger_id: '1.2.third', channel: undefined };
    expect((await http.press(malformed)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(jobs).toHaveLength(2);
  });

  it('tells the presser at once when the queue cannot take a press, and lists the commands when one is unknown', async () => {
    const slack = await started(await startFakeSlack());
    const { parts, jobs } = await harness.fresh();
    let queueDown = false;
    const http = await overHttp(slack, { ...parts, enqueue: async (job) => (queueDown ? Promise.reject(new Error('Connection is closed.')) : parts.enqueue(job)) });
    await http.event(slack.event('Block Ann', { dm: true, user: 'U0ADMIN' }));
    expect(await waitUntil(() => jobs.length === 1)).toBe(true);
    await http.adapter.deliver(okReply(jobs[0]!, 'Block Ann?', confirmButtons));
    queueDown = true;
    expect((await http.press(slack.press('D0ADMIN', 'Confirm', { user: 'U0ADMIN' }))).status).toBe(200);
    expect(slack.messages('D0ADMIN').at(-1)).toMatchObject({ visible: "I couldn't take that just now. Please try again in a moment.", responseType: 'ephemeral' });

    const unknown = await http.command(slack.command('/dance', '', { user: 'U0ADMIN' }));
    expect(JSON.parse(unknown.text)).toMatchObject({ response_type: 'ephemeral', text: expect.stringMatching(/^I don't know \/dance\. Try \/ask, \/start, \/help, .*\/role, .*\/cancel\.$/) });
  });

  it('shows buttons under a channel message, and takes a press over Socket Mode, acknowledging its envelope', async () => {
    const slack = await started(await startFakeSlack());
    const { parts, jobs } = await harness.fresh();
    const adapter: SlackAdapter = await started(await startSlackAdapter({ ...parts, token: slack.botToken, appToken: slack.appToken, apiUrl: slack.apiUrl }));
    expect(await waitUntil(() => slack.connections() === 1, 5000)).toBe(true);

    const event = slack.event('/role <@U0ANN> admin', { dm: true, user: 'U0ADMIN' });
    await slack.deliver('events_api', event);
    expect(await waitUntil(() => jobs.length === 1)).toBe(true);
    expect(jobs[0]!.input.messages[0]!.content).toBe('/role slack:T0FAKETEAM:U0ANN admin');
    await adapter.deliver(okReply(jobs[0]!, 'Make Ann an admin?', confirmButtons));
    const [question] = slack.messages('D0ADMIN');
    expect(question).toMatchObject({ visible: 'Make Ann an admin?', responseType: undefined, buttons: shownButtons });
    expect(slack.calls('chat.postMessage').at(-1)).toMatchObject({ text: 'Make Ann an admin?' });

    const payload = slack.press('D0ADMIN', 'Confirm', { user: 'U0ADMIN' });
    const envelope = await slack.deliver('interactive', payload);
    expect(await waitUntil(() => slack.acked(envelope) !== false, 5000)).toBe(true);
    expect(await waitUntil(() => jobs.length === 2)).toBe(true);
    // A direct message: the press's answer may show what only its presser should see.
    expect(jobs[1]).toMatchObject({ input: { messages: [{ content: '/confirm ABCDEFGH' }] }, source: { direct: true }, conversationId: 'slack-T0FAKETEAM-D0ADMIN' });
    expect(subjectOf(jobs[1]!)).toBe('T0FAKETEAM:U0ADMIN');
    await adapter.deliver(okReply(jobs[1]!, 'Ann is an admin now.'));
    expect(slack.messages('D0ADMIN').at(-1)).toMatchObject({ visible: 'Ann is an admin now.', responseType: 'in_channel' });
  });

  it('edits a message without buttons to take its earlier ones away, and with buttons to show new ones', async () => {
    const slack = await started(await startFakeSlack());
    const { parts } = await harness.fresh();
    const transport = slackTransport({ client: new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl }), tokens: parts.tokens });
    const target = { id: 'C0EDIT' };
    const ts = await transport.send(target, 'Sure?', { buttons: confirmButtons });
    expect(slack.messages('C0EDIT')[0]).toMatchObject({ visible: 'Sure?', buttons: shownButtons });
    await transport.edit(target, ts, 'Done.');
    expect(slack.messages('C0EDIT')[0]).toMatchObject({ visible: 'Done.', edits: 1 });
    expect(slack.messages('C0EDIT')[0]!.buttons).toBeUndefined();
    await transport.edit(target, ts, 'a <b> & c', { plain: true, buttons: confirmButtons.slice(1) });
    expect(slack.messages('C0EDIT')[0]).toMatchObject({ visible: 'a <b> & c', text: 'a &lt;b&gt; &amp; c', buttons: [{ label: 'Cancel', value: '/cancel ABCDEFGH', actionId: 'gateway_command_0' }] });
    expect(JSON.parse(String(slack.calls('chat.update').at(-1)!.blocks))[0]).toEqual({ type: 'section', text: { type: 'plain_text', text: 'a <b> & c', emoji: true } });
  });
});
