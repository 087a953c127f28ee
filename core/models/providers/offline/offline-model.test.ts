import { describe, expect, it } from 'vitest';
import { OfflineModel } from './offline-model.ts';

describe('OfflineModel', () => {
  const model = new OfflineModel();

  it('says it is offline, how to configure a provider, and echoes the last user message', async () => {
    const result = await model.doGenerate({
      prompt: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'second' },
      ],
    });
    expect(result.text).toMatch(/^This is the built-in offline model: no model provider is configured/);
    expect(result.text).toContain('OPENAI_API_KEY');
    expect(result.text).toMatch(/You said: "second"$/);
    expect(result.finishReason).toBe('stop');
    expect(result.usage).toEqual({ inputTokens: 7, outputTokens: Math.ceil(result.text.length / 4) });
  });

  it('is deterministic and bounds the echo', async () => {
    const prompt = [{ role: 'user' as const, content: 'x'.repeat(500) }];
    const [a, b] = await Promise.all([model.doGenerate({ prompt }), model.doGenerate({ prompt })]);
    expect(a).toEqual(b);
    expect(a.text).toContain(`"${'x'.repeat(200)}…"`);
  });

  it('honours an aborted signal', async () => {
    await expect(
      model.doGenerate({ prompt: [{ role: 'user', content: 'hi' }], abortSignal: AbortSignal.abort() }),
    ).rejects.toThrow();
  });
});
