import { describe, expect, it } from 'vitest';
import {
  functionCallPart,
  geminiResponse,
  replyGenerate,
  replyText,
  useFakeGemini,
} from '../../../../test/fakes/fake-gemini.ts';
import { user, weatherTool } from '../../../../test/helpers/prompts.ts';
import { GoogleModel } from './index.ts';

const gemini = useFakeGemini();

describe('GoogleModel.doGenerate', () => {
  it('sends a plain prompt to :generateContent with the key in a header, and returns the text', async () => {
    gemini.fake.reply(replyText('Hello there!'));
    const result = await gemini.model.doGenerate({ prompt: [user('Hi')] });

    const request = gemini.fake.last!;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/v1beta/models/gemini-2.5-flash:generateContent');
    expect(request.headers['x-goog-api-key']).toBe(gemini.fake.apiKey);
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.url).not.toContain(gemini.fake.apiKey);
    expect(request.body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'Hi' }] }] });

    expect(result).toEqual({
      content: [{ type: 'text', text: 'Hello there!' }],
      finishReason: 'stop',
      usage: { inputTokens: 10, outputTokens: 5 },
      response: { id: 'resp-fake-1', modelId: 'gemini-2.5-flash' },
    });
  });

  it('sends system messages as systemInstruction and the generation settings as generationConfig', async () => {
    gemini.fake.reply(replyText('Ahoy.'));
    const trailing = new GoogleModel({ apiKey: gemini.fake.apiKey, baseURL: `${gemini.fake.origin}/`, modelId: 'models/gemini-2.5-pro' });
    await trailing.doGenerate({
      prompt: [
        { role: 'system', content: 'You are a pirate.' },
        user('Hello'),
        { role: 'assistant', content: [{ type: 'text', text: 'Arr.' }] },
        user('Again'),
      ],
      temperature: 0.3,
      maxOutputTokens: 256,
      stopSequences: ['END'],
    });

    expect(gemini.fake.last!.url).toBe('/v1beta/models/gemini-2.5-pro:generateContent');
    expect(gemini.fake.last!.body).toEqual({
      systemInstruction: { parts: [{ text: 'You are a pirate.' }] },
      contents: [
        { role: 'user', parts: [{ text: 'Hello' }] },
        { role: 'model', parts: [{ text: 'Arr.' }] },
        { role: 'user', parts: [{ text: 'Again' }] },
      ],
      generationConfig: { temperature: 0.3, maxOutputTokens: 256, stopSequences: ['END'] },
    });
  });

  it('round-trips a tool call: declares the tool, returns the call, and sends the result by recovered name', async () => {
    gemini.fake.reply(replyGenerate(geminiResponse({ parts: [functionCallPart('get_weather', { city: 'Paris' })] })));
    const first = await gemini.model.doGenerate({ prompt: [user('Weather in Paris?')], tools: [weatherTool], toolChoice: { type: 'auto' } });

    expect(gemini.fake.last!.body).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'Weather in Paris?' }] }],
      tools: [
        {
          functionDeclarations: [
            {
              name: 'get_weather',
              description: 'Current weather in a city',
              parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
            },
          ],
        },
      ],
      toolConfig: { functionCallingConfig: { mode: 'AUTO' } },
    });
    expect(first.finishReason).toBe('tool-calls');
    expect(first.content).toEqual([
      { type: 'tool-call', toolCallId: expect.stringMatching(/^call_[0-9a-f]{24}$/), toolName: 'get_weather', input: '{"city":"Paris"}' },
    ]);
    const call = first.content[0]!;
    if (call.type !== 'tool-call') throw new Error('expected a tool call');

    gemini.fake.reply(replyText('It is sunny in Paris.'));
    const second = await gemini.model.doGenerate({
      prompt: [
        user('Weather in Paris?'),
        { role: 'assistant', content: [call] },
        // As an OpenAI client sends it: only the id, no name.
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: call.toolCallId, toolName: '', output: '{"temp":21}' }] },
      ],
      tools: [weatherTool],
    });

    expect((gemini.fake.last!.body as { contents: unknown }).contents).toEqual([
      { role: 'user', parts: [{ text: 'Weather in Paris?' }] },
      {
        role: 'model',
        parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'skip_thought_signature_validator' }],
      },
      { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { temp: 21 } } }] },
    ]);
    expect(second.content).toEqual([{ type: 'text', text: 'It is sunny in Paris.' }]);
    expect(second.finishReason).toBe('stop');
  });

  it('returns parallel calls with distinct stable ids, and sends their results in one user content', async () => {
    const parallel = geminiResponse({
      parts: [
        { text: 'Checking both.' },
        functionCallPart('get_weather', { city: 'Paris' }),
        functionCallPart('get_weather', { city: 'Rome' }),
      ],
    });
    gemini.fake.reply(replyGenerate(parallel));
    const first = await gemini.model.doGenerate({ prompt: [user('Paris and Rome?')], tools: [weatherTool] });
    const again = await gemini.model.doGenerate({ prompt: [user('Paris and Rome?')], tools: [weatherTool] });

    const calls = first.content.filter((part) => part.type === 'tool-call');
    expect(calls.map((part) => part.input)).toEqual(['{"city":"Paris"}', '{"city":"Rome"}']);
    expect(calls[0]!.toolCallId).not.toBe(calls[1]!.toolCallId);
    expect(again.content).toEqual(first.content); // A replay gets the same ids.
    expect(first.content[0]).toEqual({ type: 'text', text: 'Checking both.' });

    gemini.fake.reply(replyText('Paris 21°, Rome unknown.'));
    await gemini.model.doGenerate({
      prompt: [
        user('Paris and Rome?'),
        { role: 'assistant', content: first.content },
        {
          role: 'tool',
          content: [
            { type: 'tool-result', toolCallId: calls[0]!.toolCallId, toolName: '', output: 'sunny, 21°' },
            { type: 'tool-result', toolCallId: calls[1]!.toolCallId, toolName: 'get_weather', output: 'timeout', isError: true },
          ],
        },
      ],
    });
    const contents = (gemini.fake.last!.body as { contents: { role: string; parts: unknown[] }[] }).contents;
    expect(contents.map((content) => content.role)).toEqual(['user', 'model', 'user']);
    expect(contents[1]!.parts).toEqual([
      { text: 'Checking both.' },
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'skip_thought_signature_validator' },
      { functionCall: { name: 'get_weather', args: { city: 'Rome' } } },
    ]);
    expect(contents[2]!.parts).toEqual([
      { functionResponse: { name: 'get_weather', response: { result: 'sunny, 21°' } } },
      { functionResponse: { name: 'get_weather', response: { error: 'timeout' } } },
    ]);
  });

  it.each([
    ['SAFETY', 'content-filter'],
    ['RECITATION', 'content-filter'],
    ['PROHIBITED_CONTENT', 'content-filter'],
    ['MAX_TOKENS', 'length'],
    ['MALFORMED_FUNCTION_CALL', 'error'],
    ['SOMETHING_NEW', 'other'],
  ])('maps finishReason %s to %s', async (finishReason, expected) => {
    gemini.fake.reply(replyGenerate(geminiResponse({ parts: [{ text: 'partial' }], finishReason })));
    expect((await gemini.model.doGenerate({ prompt: [user('x')] })).finishReason).toBe(expected);
  });

  it('reports a prompt blocked before any candidate as content-filter with no content', async () => {
    gemini.fake.reply(replyGenerate({ promptFeedback: { blockReason: 'PROHIBITED_CONTENT' }, usageMetadata: { promptTokenCount: 8, totalTokenCount: 8 } }));
    const result = await gemini.model.doGenerate({ prompt: [user('something bad')] });
    expect(result).toMatchObject({ content: [], finishReason: 'content-filter', usage: { inputTokens: 8, outputTokens: 0 } });
  });

  it('counts thinking as output and reports reasoning and cached tokens; thought text stays hidden', async () => {
    gemini.fake.reply(
      replyGenerate(
        geminiResponse({
          parts: [
            { text: 'Let me think about primes...', thought: true },
            { text: 'The answer ', thoughtSignature: 'c2lnbmF0dXJl' },
            { text: 'is 7.' },
          ],
          usage: { prompt: 1200, candidates: 4, thoughts: 96, cached: 1024 },
        }),
      ),
    );
    const result = await gemini.model.doGenerate({ prompt: [user('Largest prime below 10?')] });
    expect(result.content).toEqual([{ type: 'text', text: 'The answer is 7.' }]);
    expect(result.usage).toEqual({ inputTokens: 1200, outputTokens: 100, reasoningTokens: 96, cachedInputTokens: 1024 });
  });
});
