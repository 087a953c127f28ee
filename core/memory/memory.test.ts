import { beforeEach, describe, expect, it } from 'vitest';
import { scriptedModel, sentText, type SentMessages } from '../../test/fakes/fake-openai.ts';
import { answerOf, usePipeline } from '../../test/helpers/pipeline-harness.ts';

const pipeline = usePipeline();
let chats: SentMessages[];
let summaries: SentMessages[];

beforeEach(() => {
  chats = [];
  summaries = [];
  pipeline.upstream.handle(
    scriptedModel((messages) => {
      if (sentText(messages[0]).startsWith('You keep the memory')) {
        summaries.push(messages);
        return `Summary #${summaries.length}`;
      }
      chats.push(messages);
      return `Answer #${chats.length}`;
    }),
  );
});

const roles = (messages: SentMessages | undefined) => (messages ?? []).map((message) => `${message.role}: ${sentText(message)}`);
// Each turn below is about 10 tokens (3 for the message, 7 for 28 characters).
const turn = (n: number) => `Message number ${n} padded...`.slice(0, 28);

describe('conversation memory', () => {
  it('carries earlier turns within the token budget, dropping the oldest, always keeping the system prompt and the newest message', async () => {
    const { say } = pipeline.start({ MEMORY_MAX_TOKENS: '45', SYSTEM_PROMPT: 'You are Gatekeeper.' });
    for (let n = 1; n <= 4; n += 1) expect(answerOf(await say(turn(n)))).toBe(`Answer #${n}`);
    const last = roles(chats.at(-1));
    expect(last[0]).toBe('system: You are Gatekeeper.');
    expect(last.at(-1)).toBe(`user: ${turn(4)}`);
    // 45 tokens hold four earlier turns of ~10: turn 2, its answer, turn 3, its answer. Turn 1 was dropped.
    expect(last.slice(-5, -1)).toEqual([`user: ${turn(2)}`, 'assistant: Answer #2', `user: ${turn(3)}`, 'assistant: Answer #3']);
    expect(last.join('\n')).not.toContain(turn(1));
    expect(summaries).toHaveLength(0);

  });

  it('starts afresh after /new', async () => {
    const { say } = pipeline.start();
    await say('My name is Ada.');
    await say('What is my name?');
    expect(roles(chats.at(-1))).toContain('user: My name is Ada.');
    expect(answerOf(await say('/new'))).toMatch(/fresh|new/i);
    await say('What is my name now?');
    expect(roles(chats.at(-1))).toEqual(['user: What is my name now?']);
  });

  it('summarizes turns that no longer fit when MEMORY_SUMMARY=on, and folds later ones into the same summary', async () => {
    const { say, store } = pipeline.start({ MEMORY_MAX_TOKENS: '45', MEMORY_SUMMARY: 'on' });
    for (let n = 1; n <= 3; n += 1) await say(turn(n));
    expect(summaries).toHaveLength(0);
    await say(turn(4));
    // Turn 1 and its answer no longer fit: summarized once, and the summary leads the prompt.
    expect(summaries).toHaveLength(1);
    expect(roles(summaries[0])[1]).toBe(`user: User: ${turn(1)}\n\nAssistant: Answer #1`);
    const prompt = roles(chats.at(-1));
    expect(prompt[0]).toBe('system: Summary of the earlier conversation:\nSummary #1');
    expect(prompt.join('\n')).not.toContain(turn(1));

    await say(turn(5));
    // Only what fell out since (turn 2 and its answer) is folded in, on top of the summary so far.
    expect(summaries).toHaveLength(2);
    expect(roles(summaries[1])[1]).toBe(`user: Summary so far:\nSummary #1\n\nLater turns:\nUser: ${turn(2)}\n\nAssistant: Answer #2`);
    expect(roles(chats.at(-1))[0]).toBe('system: Summary of the earlier conversation:\nSummary #2');
    const [conversation] = await store.listConversations((await store.findUser({ platform: 'telegram', externalId: 'alice' }))!.id);
    expect((await store.getConversationSettings(conversation!.id)).summary?.text).toBe('Summary #2');

    await say('/new');
    expect((await store.getConversationSettings(conversation!.id)).summary).toBeUndefined();
  });
});
