import { describe, expect, it } from 'vitest';
import { inboundJobSchema } from '../../contracts/job.ts';
import { httpJob } from '../../../test/helpers/jobs.ts';
import { SqliteStore } from '../../store/embedded/sqlite-store.ts';
import { buildPrompt } from './build-prompt.ts';
import type { Prompted } from './build-prompt.ts';

async function promptFor(job: Awaited<ReturnType<typeof httpJob>>) {
  const ctx = { job: inboundJobSchema.parse(job), context: [], contextWindow: undefined } as unknown as Parameters<ReturnType<typeof buildPrompt>['run']>[0] & Partial<Prompted>;
  await buildPrompt({ store: new SqliteStore(':memory:') }).run(ctx, async () => {});
  return ctx.prompt!;
}

/** As the Telegram adapter declares them (adapters/kit/capabilities.ts); core never imports an adapter. */
const telegram = {
  platform: 'Telegram',
  maxMessageLength: 4096,
  formatting: ['bold', 'italic', 'strikethrough', 'inline code', 'code blocks', 'links', 'block quotes'],
  tables: false,
};

describe('build-prompt', () => {
  it('tells the model what the chat can show, from the capabilities its adapter declared', async () => {
    const job = { ...(await httpJob({ platform: 'telegram', text: 'compare A and B' })), capabilities: telegram };
    const [system, user] = await promptFor(job);
    expect(system).toEqual({
      role: 'system',
      content:
        'You are replying in a Telegram chat: Markdown bold, italic, strikethrough, inline code, code blocks, links, block quotes show as formatting there. ' +
        'Tables cannot be shown: use a list, or a code block with aligned columns. ' +
        'Keep replies short enough to read in a chat; a reply over 4096 characters arrives as several messages.',
    });
    expect(user).toEqual({ role: 'user', content: [{ type: 'text', text: 'compare A and B' }] });
  });

  it('adds nothing for an HTTP client, which renders for itself', async () => {
    expect(await promptFor(await httpJob({ text: 'hi' }))).toEqual([{ role: 'user', content: [{ type: 'text', text: 'hi' }] }]);
  });
});
