import { describe, expect, it } from 'vitest';
import { errorEvent, messageStreamEvents, streamResponse, useFakeAnthropic } from '../../../../test/fakes/fake-anthropic.ts';
import type { CallOptions, StreamPart, StreamResult, ToolDefinition } from '../../language-model.ts';
import { ProviderCallError } from '../../provider-error.ts';

const anthropic = useFakeAnthropic();
const hello: CallOptions = { prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] };
const weatherTool: ToolDefinition = { name: 'get_weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } };
const timeTool: ToolDefinition = { name: 'get_time', inputSchema: { type: 'object', properties: {} } };

async function collect({ stream }: StreamResult) {
  const parts: StreamPart[] = [];
  for await (const part of stream) parts.push(part);
  return parts;
}

const metadata: StreamPart = { type: 'response-metadata', id: 'msg_fake_01', modelId: 'claude-fake-1' };

describe('AnthropicModel.doStream', () => {
  it('streams text framed by start/delta/end, then one finish with usage', async () => {
    anthropic.fake.reply(streamResponse(messageStreamEvents({ blocks: [{ type: 'text', text: ['Hel', 'lo!'] }], usage: { input_tokens: 9, output_tokens: 4 } })));
    const parts = await collect(await anthropic.model().doStream(hello));

    expect(anthropic.fake.lastBody()).toEqual({
      model: 'claude-test',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      stream: true,
    });
    expect(parts).toStrictEqual([
      metadata,
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Hel' },
      { type: 'text-delta', id: 'text-0', delta: 'lo!' },
      { type: 'text-end', id: 'text-0' },
      { type: 'finish', finishReason: 'stop', usage: { inputTokens: 9, outputTokens: 4 } },
    ]);
  });

  it('numbers tool calls 0, 1 after a text block, streams their arguments, and emits each call whole', async () => {
    anthropic.fake.reply(
      streamResponse(
        messageStreamEvents({
          blocks: [
            { type: 'text', text: 'Checking.' },
            { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: ['{"city":', '"Paris"}'] },
            // Anthropic streams a tool without arguments as one empty input_json_delta.
            { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: '' },
          ],
          stopReason: 'tool_use',
        }),
      ),
    );
    const parts = await collect(await anthropic.model().doStream({ ...hello, tools: [weatherTool, timeTool], toolChoice: { type: 'required' } }));

    expect(anthropic.fake.lastBody()).toEqual({
      model: 'claude-test',
      max_tokens: 4096,
      messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }],
      tools: [
        { name: 'get_weather', input_schema: weatherTool.inputSchema },
        { name: 'get_time', input_schema: timeTool.inputSchema },
      ],
      tool_choice: { type: 'any' },
      stream: true,
    });
    expect(parts).toStrictEqual([
      metadata,
      { type: 'text-start', id: 'text-0' },
      { type: 'text-delta', id: 'text-0', delta: 'Checking.' },
      { type: 'text-end', id: 'text-0' },
      { type: 'tool-input-start', id: 'toolu_1', toolName: 'get_weather', index: 0 },
      { type: 'tool-input-delta', id: 'toolu_1', delta: '{"city":' },
      { type: 'tool-input-delta', id: 'toolu_1', delta: '"Paris"}' },
      { type: 'tool-input-end', id: 'toolu_1' },
      { type: 'tool-call', toolCallId: 'toolu_1', toolName: 'get_weather', input: '{"city":"Paris"}' },
      { type: 'tool-input-start', id: 'toolu_2', toolName: 'get_time', index: 1 },
      { type: 'tool-input-end', id: 'toolu_2' },
      { type: 'tool-call', toolCallId: 'toolu_2', toolName: 'get_time', input: '{}' },
      { type: 'finish', finishReason: 'tool-calls', usage: { inputTokens: 10, outputTokens: 5 } },
    ]);
  });

  it('reports cache tokens from message_start and output tokens from message_delta', async () => {
    anthropic.fake.reply(
      streamResponse(
        messageStreamEvents({
          blocks: [{ type: 'text', text: 'ok' }],
          usage: { input_tokens: 3, cache_read_input_tokens: 1200, cache_creation_input_tokens: 300, output_tokens: 42 },
        }),
      ),
    );
    const parts = await collect(await anthropic.model().doStream(hello));
    expect(parts.at(-1)).toStrictEqual({ type: 'finish', finishReason: 'stop', usage: { inputTokens: 1503, cachedInputTokens: 1200, outputTokens: 42 } });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool-calls'],
    ['refusal', 'content-filter'],
    ['model_context_window_exceeded', 'other'],
  ])('maps stop_reason %s to %s', async (stopReason, finishReason) => {
    anthropic.fake.reply(streamResponse(messageStreamEvents({ blocks: [{ type: 'text', text: 'x' }], stopReason })));
    const parts = await collect(await anthropic.model().doStream(hello));
    expect(parts.filter((part) => part.type === 'finish')).toEqual([{ type: 'finish', finishReason, usage: { inputTokens: 10, outputTokens: 5 } }]);
  });
});

describe('AnthropicModel.doStream failures', () => {
  const events = messageStreamEvents({ blocks: [{ type: 'text', text: ['one ', 'two ', 'three ', 'four'] }] });

  function expectEndsWithError(parts: StreamPart[]) {
    expect(parts.filter((part) => part.type === 'finish')).toEqual([]);
    expect(parts.filter((part) => part.type === 'error')).toHaveLength(1);
    const last = parts.at(-1);
    if (last?.type !== 'error') throw new Error(`expected an error part last, got ${last?.type}`);
    expect(last.error).toBeInstanceOf(ProviderCallError);
    return last.error as ProviderCallError;
  }

  it('an overloaded_error event mid-stream: a retryable error part, and nothing after it', async () => {
    anthropic.fake.reply(streamResponse([...events.slice(0, 4), errorEvent('overloaded_error', 'Overloaded'), ...events.slice(4)]));
    const parts = await collect(await anthropic.model().doStream(hello));
    expect(parts.map((part) => part.type)).toEqual(['response-metadata', 'text-start', 'text-delta', 'error']);
    const error = expectEndsWithError(parts);
    expect(error).toMatchObject({ code: 'provider_error', retryable: true, provider: 'anthropic' });
    expect(error.message).toMatch(/overloaded_error: Overloaded/);
  });

  it('an error event before any part rejects doStream, where failover is still safe', async () => {
    anthropic.fake.reply(streamResponse([errorEvent('overloaded_error', 'Overloaded')]));
    await expect(anthropic.model().doStream(hello)).rejects.toMatchObject({ code: 'provider_error', retryable: true });
  });

  it('a connection cut mid-stream ends with an error part, never a finish', async () => {
    anthropic.fake.reply(streamResponse(events, { cutAfter: 5, delayMs: 10 }));
    const parts = await collect(await anthropic.model().doStream(hello));
    expect(parts.map((part) => part.type)).toEqual(['response-metadata', 'text-start', 'text-delta', 'text-delta', 'error']);
    const error = expectEndsWithError(parts);
    expect(error).toMatchObject({ code: 'provider_error', retryable: true });
    expect(error.message).toMatch(/stream ended before it finished/);
  });

  it('a stream closed cleanly but before message_stop also ends with an error part', async () => {
    anthropic.fake.reply(streamResponse(events.filter((event) => event.event !== 'message_stop')));
    const parts = await collect(await anthropic.model().doStream(hello));
    expect(parts.at(-2)).toEqual({ type: 'text-end', id: 'text-0' });
    expect(expectEndsWithError(parts)).toMatchObject({ code: 'provider_error', message: expect.stringMatching(/stream ended before it finished/) });
  });

  it('a malformed event mid-stream: a provider_error part', async () => {
    anthropic.fake.reply(streamResponse([...events.slice(0, 3), { event: 'content_block_delta', data: '{"type": "content_block_delta", "ind' }]));
    const parts = await collect(await anthropic.model().doStream(hello));
    expect(expectEndsWithError(parts)).toMatchObject({ code: 'provider_error', message: expect.stringMatching(/malformed/) });
  });
});
