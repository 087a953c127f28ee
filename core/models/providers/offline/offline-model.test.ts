import { describe, expect, it } from 'vitest';
import { collectStream } from '../../collect-stream.ts';
import type { ModelMessage } from '../../language-model.ts';
import { OfflineModel } from './offline-model.ts';

const text = (value: string) => [{ type: 'text' as const, text: value }];

describe('OfflineModel', () => {
  const model = new OfflineModel();

  it('says it is offline, how to configure a provider, and echoes the last user message', async () => {
    const result = await model.doGenerate({
      prompt: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: text('first') },
        { role: 'assistant', content: text('ok') },
        { role: 'user', content: text('second') },
      ],
    });
    const [part] = result.content;
    expect(part?.type).toBe('text');
    const answer = part?.type === 'text' ? part.text : '';
    expect(answer).toMatch(/^This is the built-in offline model: no model provider is configured/);
    expect(answer).toContain('OPENAI_API_KEY');
    expect(answer).toMatch(/You said: "second"$/);
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toEqual({ inputTokens: 7, outputTokens: Math.ceil(answer.length / 4) });
  });

  it('is deterministic and bounds the echo', async () => {
    const prompt: ModelMessage[] = [{ role: 'user', content: text('x'.repeat(500)) }];
    const [a, b] = await Promise.all([model.doGenerate({ prompt }), model.doGenerate({ prompt })]);
    expect(a).toEqual(b);
    expect(a.content[0]).toMatchObject({ text: expect.stringContaining(`"${'x'.repeat(200)}…"`) });
  });

  it('streams the same answer as it generates', async () => {
    const prompt: ModelMessage[] = [{ role: 'user', content: text('stream me') }];
    const streamed = await collectStream(await model.doStream({ prompt }));
    expect(streamed).toEqual(await model.doGenerate({ prompt }));
  });

  it('honours an aborted signal', async () => {
    await expect(model.doGenerate({ prompt: [{ role: 'user', content: text('hi') }], abortSignal: AbortSignal.abort() })).rejects.toThrow();
  });
});
