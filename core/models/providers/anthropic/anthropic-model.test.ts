import { describe, expect, it } from 'vitest';
import {
  anthropicMessage,
  messageResponse,
  textBlock,
  toolUseBlock,
  useFakeAnthropic,
} from '../../../../test/fakes/fake-anthropic.ts';
import { user } from '../../../../test/helpers/prompts.ts';
import type { CallOptions, ModelMessage, ToolDefinition } from '../../language-model.ts';

const anthropic = useFakeAnthropic();
const assistant = (text: string): ModelMessage => ({ role: 'assistant', content: [{ type: 'text', text }] });
const hello: CallOptions = { prompt: [user('Hello')] };
const weatherTool: ToolDefinition = {
  name: 'get_weather',
  description: 'Current weather for a city',
  inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};
const weatherWire = { name: 'get_weather', description: 'Current weather for a city', input_schema: weatherTool.inputSchema };
const timeTool: ToolDefinition = { name: 'get_time', inputSchema: { type: 'object', properties: {} } };

describe('AnthropicModel.doGenerate', () => {
  it('sends a plain prompt and returns text, finish reason, usage and response ids', async () => {
    const usage = { input_tokens: 12, output_tokens: 3 };
    anthropic.fake.reply(messageResponse(anthropicMessage({ id: 'msg_1', model: 'claude-test-2026', content: [textBlock('Hi there')], usage })));
    const result = await anthropic.model().doGenerate(hello);

    expect(anthropic.fake.requests).toHaveLength(1);
    expect(anthropic.fake.requests[0]!.url).toBe('/v1/messages');
    expect(anthropic.fake.lastBody()).toEqual({
      model: 'claude-test',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      stream: false,
    });
    expect(result).toStrictEqual({
      content: [{ type: 'text', text: 'Hi there' }],
      finishReason: 'stop',
      usage: { inputTokens: 12, outputTokens: 3 },
      response: { id: 'msg_1', modelId: 'claude-test-2026' },
    });
  });

  it('sends system messages top-level (joined), and the call settings', async () => {
    await anthropic.model().doGenerate({
      prompt: [
        { role: 'system', content: 'You are terse.' },
        { role: 'system', content: 'Answer in French.' },
        user('Hi'),
        assistant('Salut.'),
        user('Again'),
      ],
      temperature: 0.2,
      maxOutputTokens: 300,
      stopSequences: ['END'],
    });
    expect(anthropic.fake.lastBody()).toEqual({
      model: 'claude-test',
      max_tokens: 300,
      system: 'You are terse.\n\nAnswer in French.',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
        { role: 'assistant', content: [{ type: 'text', text: 'Salut.' }] },
        { role: 'user', content: [{ type: 'text', text: 'Again' }] },
      ],
      temperature: 0.2,
      stop_sequences: ['END'],
      stream: false,
    });
  });

  it('round-trips a tool call: tool_use in the answer, tool_use and tool_result in the next request', async () => {
    const answer = [textBlock('Let me check.'), toolUseBlock('toolu_1', 'get_weather', { city: 'Paris' })];
    anthropic.fake.reply(messageResponse(anthropicMessage({ content: answer, stopReason: 'tool_use' })));
    const first = await anthropic.model().doGenerate({ prompt: [user('Weather in Paris?')], tools: [weatherTool], toolChoice: { type: 'auto' } });

    expect(anthropic.fake.lastBody()).toMatchObject({
      tools: [weatherWire],
      tool_choice: { type: 'auto' },
    });
    expect(first.finishReason).toBe('tool-calls');
    expect(first.content).toEqual([
      { type: 'text', text: 'Let me check.' },
      { type: 'tool-call', toolCallId: 'toolu_1', toolName: 'get_weather', input: '{"city":"Paris"}' },
    ]);

    anthropic.fake.reply(messageResponse(anthropicMessage({ content: [textBlock('It is sunny.')] })));
    const second = await anthropic.model().doGenerate({
      prompt: [
        user('Weather in Paris?'),
        { role: 'assistant', content: first.content },
        {
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: 'toolu_1', toolName: 'get_weather', output: '{"sky":"clear"}' }],
        },
      ],
      tools: [weatherTool],
    });
    expect(anthropic.fake.lastBody()).toEqual({
      model: 'claude-test',
      max_tokens: 4096,
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'Weather in Paris?' }] },
        {
          role: 'assistant',
          content: [
            { type: 'text', text: 'Let me check.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
          ],
        },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: '{"sky":"clear"}' }] },
      ],
      tools: [weatherWire],
      stream: false,
    });
    expect(second.content).toEqual([{ type: 'text', text: 'It is sunny.' }]);
  });

  it('handles parallel tool calls: both results (and a following user turn) go in one user message', async () => {
    const calls = [toolUseBlock('toolu_a', 'get_weather', { city: 'Oslo' }), toolUseBlock('toolu_b', 'get_time', {})];
    anthropic.fake.reply(messageResponse(anthropicMessage({ content: calls, stopReason: 'tool_use' })));
    const first = await anthropic.model().doGenerate({ prompt: [user('Weather and time?')], tools: [weatherTool, timeTool] });
    expect(first.content).toEqual([
      { type: 'tool-call', toolCallId: 'toolu_a', toolName: 'get_weather', input: '{"city":"Oslo"}' },
      { type: 'tool-call', toolCallId: 'toolu_b', toolName: 'get_time', input: '{}' },
    ]);

    await anthropic.model().doGenerate({
      prompt: [
        user('Weather and time?'),
        {
          role: 'assistant',
          content: [
            { type: 'text', text: '' },
            { type: 'tool-call', toolCallId: 'toolu_a', toolName: 'get_weather', input: '{"city":"Oslo"}' },
            // Broken and empty arguments still make a valid request.
            { type: 'tool-call', toolCallId: 'toolu_b', toolName: 'get_time', input: '' },
            { type: 'tool-call', toolCallId: 'toolu_c', toolName: 'get_time', input: '{"tz":' },
          ],
        },
        { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'toolu_a', toolName: 'get_weather', output: 'snow' }] },
        {
          role: 'tool',
          content: [
            { type: 'tool-result', toolCallId: 'toolu_b', toolName: 'get_time', output: 'no clock', isError: true },
            { type: 'tool-result', toolCallId: 'toolu_c', toolName: 'get_time', output: '12:00' },
          ],
        },
        user('Thanks, summarise.'),
      ],
      tools: [weatherTool, timeTool],
    });
    expect(anthropic.fake.lastBody().messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'Weather and time?' }] },
      {
        role: 'assistant',
        content: [
          { type: 'tool_use', id: 'toolu_a', name: 'get_weather', input: { city: 'Oslo' } },
          { type: 'tool_use', id: 'toolu_b', name: 'get_time', input: {} },
          { type: 'tool_use', id: 'toolu_c', name: 'get_time', input: {} },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'toolu_a', content: 'snow' },
          { type: 'tool_result', tool_use_id: 'toolu_b', content: 'no clock', is_error: true },
          { type: 'tool_result', tool_use_id: 'toolu_c', content: '12:00' },
          { type: 'text', text: 'Thanks, summarise.' },
        ],
      },
    ]);
    expect(anthropic.fake.lastBody().tools).toEqual([
      weatherWire,
      { name: 'get_time', input_schema: timeTool.inputSchema },
    ]);
  });

  it.each([
    [{ type: 'auto' } as const, { type: 'auto' }],
    [{ type: 'required' } as const, { type: 'any' }],
    [{ type: 'none' } as const, { type: 'none' }],
    [{ type: 'tool', toolName: 'get_weather' } as const, { type: 'tool', name: 'get_weather' }],
  ])('maps tool choice %j to %j', async (toolChoice, expected) => {
    await anthropic.model().doGenerate({ ...hello, tools: [weatherTool], toolChoice });
    expect(anthropic.fake.lastBody().tool_choice).toEqual(expected);
  });

  it('sends neither tools nor tool_choice without tools (Anthropic refuses a choice without tools)', async () => {
    await anthropic.model().doGenerate({ ...hello, toolChoice: { type: 'required' } });
    expect(anthropic.fake.lastBody()).not.toHaveProperty('tools');
    expect(anthropic.fake.lastBody()).not.toHaveProperty('tool_choice');
  });

  it('counts cache reads and writes as input, and reports the cached share', async () => {
    const cached = { input_tokens: 10, cache_read_input_tokens: 100, cache_creation_input_tokens: 50, output_tokens: 20 };
    anthropic.fake.reply(messageResponse(anthropicMessage({ content: [textBlock('ok')], usage: cached })));
    expect((await anthropic.model().doGenerate(hello)).usage).toStrictEqual({ inputTokens: 160, cachedInputTokens: 100, outputTokens: 20 });

    const written = { input_tokens: 10, cache_read_input_tokens: null, cache_creation_input_tokens: 7, output_tokens: 2 };
    anthropic.fake.reply(messageResponse(anthropicMessage({ content: [textBlock('ok')], usage: written })));
    expect((await anthropic.model().doGenerate(hello)).usage).toStrictEqual({ inputTokens: 17, outputTokens: 2 });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool-calls'],
    ['refusal', 'content-filter'],
    ['pause_turn', 'other'],
    [null, 'other'],
  ])('maps stop_reason %s to %s', async (stopReason, finishReason) => {
    anthropic.fake.reply(messageResponse(anthropicMessage({ content: [textBlock('x')], stopReason })));
    expect((await anthropic.model().doGenerate(hello)).finishReason).toBe(finishReason);
  });
});
