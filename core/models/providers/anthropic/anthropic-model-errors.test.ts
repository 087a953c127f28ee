import { APIConnectionTimeoutError, APIError } from '@anthropic-ai/sdk';
import { describe, expect, it } from 'vitest';
import { errorResponse, messageStreamEvents, rawResponse, streamResponse, useFakeAnthropic } from '../../../../test/fakes/fake-anthropic.ts';
import { hang } from '../../../../test/fakes/fake-server.ts';
import type { CallOptions, StreamPart } from '../../language-model.ts';
import { ProviderCallError } from '../../provider-error.ts';
import { toAnthropicError } from './anthropic-error.ts';

const anthropic = useFakeAnthropic();
const hello: CallOptions = { prompt: [{ role: 'user', content: [{ type: 'text', text: 'Hello' }] }] };

/** The rejection of a call, checked to be a ProviderCallError. */
async function failure(promise: Promise<unknown>): Promise<ProviderCallError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ProviderCallError);
    return error as ProviderCallError;
  }
  throw new Error('expected the call to fail');
}

describe('AnthropicModel errors', () => {
  it('401: provider_auth_failed, not retryable, and the key appears nowhere', async () => {
    const wrongKey = 'sk-ant-wrong-9876543210fedcba';
    const error = await failure(anthropic.model(wrongKey).doGenerate(hello));
    expect(anthropic.fake.requests[0]!.headers.authorization ?? anthropic.fake.requests[0]!.headers['x-api-key']).toContain(wrongKey);
    expect(error).toMatchObject({ code: 'provider_auth_failed', retryable: false, statusCode: 401, provider: 'anthropic', modelId: 'claude-test' });
    expect(error.message).toMatch(/authentication_error: invalid x-api-key/);
    expect(error.message).not.toContain(wrongKey);
    expect(String(error.cause ?? '')).not.toContain(wrongKey);
  });

  it('429 with retry-after: provider_rate_limited with retryAfterMs', async () => {
    anthropic.fake.reply(errorResponse(429, 'rate_limit_error', 'Number of request tokens has exceeded your rate limit.', { 'retry-after': '7' }));
    const error = await failure(anthropic.model().doGenerate(hello));
    expect(error).toMatchObject({ code: 'provider_rate_limited', retryable: true, statusCode: 429, retryAfterMs: 7000 });
  });

  it.each([
    [500, 'api_error', 'Internal server error'],
    [529, 'overloaded_error', 'Overloaded'],
  ])('%i %s: a retryable provider_error', async (status, type, message) => {
    anthropic.fake.reply(errorResponse(status, type, message));
    const error = await failure(anthropic.model().doGenerate(hello));
    expect(error).toMatchObject({ code: 'provider_error', retryable: true, statusCode: status });
    expect(error.message).toBe(`anthropic: ${type}: ${message} (request-id req_fake_err)`);
  });

  it('400 about context length: context_length_exceeded; another 400: provider_bad_request', async () => {
    anthropic.fake.reply(errorResponse(400, 'invalid_request_error', 'prompt is too long: 215000 tokens > 200000 maximum'));
    expect(await failure(anthropic.model().doGenerate(hello))).toMatchObject({ code: 'context_length_exceeded', retryable: false, statusCode: 400 });

    anthropic.fake.reply(errorResponse(400, 'invalid_request_error', 'messages: roles must alternate'));
    expect(await failure(anthropic.model().doGenerate(hello))).toMatchObject({ code: 'provider_bad_request', retryable: false, statusCode: 400 });
  });

  it('a malformed success body: provider_error', async () => {
    anthropic.fake.reply(rawResponse(200, '{"id": "msg_1", "content": [tru'));
    const error = await failure(anthropic.model().doGenerate(hello));
    expect(error).toMatchObject({ code: 'provider_error', retryable: true, statusCode: undefined });
    expect(error.message).toMatch(/malformed response/);

    anthropic.fake.reply(rawResponse(200, '<html>proxy says hi</html>', 'text/html'));
    expect(await failure(anthropic.model().doGenerate(hello))).toMatchObject({ code: 'provider_error', message: expect.stringMatching(/malformed response/) });
  });

  it('connection refused: provider_unavailable without a status', async () => {
    await anthropic.fake.close();
    const error = await failure(anthropic.model().doGenerate(hello));
    expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true, statusCode: undefined });
    expect(error.message).toMatch(/ECONNREFUSED/);
    await expect(anthropic.model().doStream(hello)).rejects.toMatchObject({ code: 'provider_unavailable' });
  });

  it('a stream error whose type names one of Object\'s own members: provider_error, not a crash', () => {
    const odd = new APIError(undefined, { type: 'error', error: { type: 'constructor', message: 'Odd' } }, 'Odd', undefined);
    expect(toAnthropicError(odd, { modelId: 'claude-x', apiKey: 'sk-ant-test' })).toMatchObject({ code: 'provider_error', retryable: true });
  });

  it('an SDK timeout: provider_timeout', () => {
    const error = toAnthropicError(new APIConnectionTimeoutError(), { modelId: 'claude-test', apiKey: anthropic.apiKey });
    expect(error).toMatchObject({ code: 'provider_timeout', retryable: true, statusCode: undefined });
  });

  it('an error status rejects doStream itself, before any part', async () => {
    anthropic.fake.reply(errorResponse(429, 'rate_limit_error', 'slow down', { 'retry-after-ms': '1500' }));
    await expect(anthropic.model().doStream(hello)).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterMs: 1500 });
  });
});

describe('AnthropicModel abort signal', () => {
  it('rejects a hanging generate with the signal reason, unchanged', async () => {
    anthropic.fake.reply(hang());
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await expect(anthropic.model().doGenerate({ ...hello, abortSignal: controller.signal })).rejects.toBe(reason);
  });

  it('does not call the API with an already aborted signal', async () => {
    const reason = new Error('too late');
    await expect(anthropic.model().doStream({ ...hello, abortSignal: AbortSignal.abort(reason) })).rejects.toBe(reason);
    expect(anthropic.fake.requests).toHaveLength(0);
  });

  it('stops a running stream with the signal reason, not an error part', async () => {
    anthropic.fake.reply(streamResponse(messageStreamEvents({ blocks: [{ type: 'text', text: ['a', 'b', 'c', 'd', 'e', 'f'] }] }), { delayMs: 40 }));
    const controller = new AbortController();
    const reason = new Error('user cancelled');
    const { stream } = await anthropic.model().doStream({ ...hello, abortSignal: controller.signal });
    const parts: StreamPart[] = [];
    const consume = (async () => {
      for await (const part of stream) {
        parts.push(part);
        if (part.type === 'text-delta') controller.abort(reason);
      }
    })();
    await expect(consume).rejects.toBe(reason);
    expect(parts.map((part) => part.type)).toEqual(['response-metadata', 'text-start', 'text-delta']);
  });
});
