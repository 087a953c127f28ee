import { describe, expect, it } from 'vitest';
import { replyError, replyGenerate, replyWith, startFakeGemini, useFakeGemini } from '../../../../test/fakes/fake-gemini.ts';
import { ProviderCallError } from '../../provider-error.ts';
import type { ModelMessage } from '../../language-model.ts';
import { GoogleModel } from './index.ts';

const gemini = useFakeGemini();

const prompt: ModelMessage[] = [{ role: 'user', content: [{ type: 'text', text: 'Hi' }] }];

async function failure(promise: Promise<unknown>): Promise<ProviderCallError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(ProviderCallError);
  return error as ProviderCallError;
}

describe('GoogleModel errors', () => {
  it('the fake, like Google, refuses a request without x-goog-api-key', async () => {
    const response = await fetch(`${gemini.fake.origin}/v1beta/models/gemini-2.5-flash:generateContent`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });
  });

  it.each([
    [401, 'UNAUTHENTICATED'],
    [403, 'PERMISSION_DENIED'],
  ])('turns %i %s into provider_auth_failed, not retryable, without the key in the message', async (status, googleStatus) => {
    gemini.fake.reply(replyError(status, googleStatus, `API key ${gemini.fake.apiKey} is not authorized for this project.`));
    const error = await failure(gemini.model.doGenerate({ prompt }));
    expect(error).toMatchObject({ code: 'provider_auth_failed', retryable: false, statusCode: status, provider: 'google' });
    expect(error.message).toContain(googleStatus);
    expect(error.message).toContain('[redacted]');
    expect(error.message).not.toContain(gemini.fake.apiKey);
  });

  it("turns Google's 400 API_KEY_INVALID (a wrong key) into provider_auth_failed", async () => {
    const wrong = new GoogleModel({ apiKey: 'wrong-key-0123456789', baseURL: gemini.fake.origin, modelId: 'gemini-2.5-flash' });
    const error = await failure(wrong.doGenerate({ prompt }));
    expect(gemini.fake.last!.headers['x-goog-api-key']).toBe('wrong-key-0123456789');
    expect(error).toMatchObject({ code: 'provider_auth_failed', retryable: false, statusCode: 400 });
    expect(error.message).toContain('API key not valid');
  });

  it('turns 429 RESOURCE_EXHAUSTED into provider_rate_limited with Retry-After, or else RetryInfo', async () => {
    gemini.fake.reply(replyError(429, 'RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).', { headers: { 'retry-after': '7' } }));
    expect(await failure(gemini.model.doGenerate({ prompt }))).toMatchObject({
      code: 'provider_rate_limited',
      retryable: true,
      statusCode: 429,
      retryAfterMs: 7000,
    });

    gemini.fake.reply(
      replyError(429, 'RESOURCE_EXHAUSTED', 'You exceeded your current quota.', {
        details: [
          { '@type': 'type.googleapis.com/google.rpc.QuotaFailure', violations: [{ quotaMetric: 'generate_content_free_tier_requests' }] },
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37s' },
        ],
      }),
    );
    expect(await failure(gemini.model.doGenerate({ prompt }))).toMatchObject({ code: 'provider_rate_limited', retryAfterMs: 37_000 });
  });

  it.each([
    [500, 'INTERNAL', 'An internal error has occurred.'],
    [503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  ])('turns %i %s into a retryable provider_error', async (status, googleStatus, message) => {
    gemini.fake.reply(replyError(status, googleStatus, message));
    const error = await failure(gemini.model.doGenerate({ prompt }));
    expect(error).toMatchObject({ code: 'provider_error', retryable: true, statusCode: status });
    expect(error.message).toContain(message);
  });

  it('turns a 400 about the token limit into context_length_exceeded, and other 400s into provider_bad_request', async () => {
    gemini.fake.reply(
      replyError(400, 'INVALID_ARGUMENT', 'The input token count (1200000) exceeds the maximum number of tokens allowed (1048576).'),
    );
    expect(await failure(gemini.model.doGenerate({ prompt }))).toMatchObject({ code: 'context_length_exceeded', retryable: false, statusCode: 400 });

    gemini.fake.reply(replyError(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Unknown name "foo".'));
    expect(await failure(gemini.model.doGenerate({ prompt }))).toMatchObject({ code: 'provider_bad_request', retryable: false });
  });

  it('turns a non-JSON error page into an error with its status', async () => {
    gemini.fake.reply(replyWith((_request, response) => void response.writeHead(502, { 'content-type': 'text/html' }).end('<html>Bad Gateway</html>')));
    const error = await failure(gemini.model.doGenerate({ prompt }));
    expect(error).toMatchObject({ code: 'provider_error', statusCode: 502, retryable: true });
    expect(error.message).toContain('Bad Gateway');
  });

  it('turns a malformed success body into provider_error', async () => {
    gemini.fake.reply(replyWith((_request, response) => void response.writeHead(200, { 'content-type': 'application/json' }).end('{"candidates": [')));
    expect(await failure(gemini.model.doGenerate({ prompt }))).toMatchObject({ code: 'provider_error', retryable: true });

    gemini.fake.reply(replyGenerate({ candidates: 'not a list' }));
    const shape = await failure(gemini.model.doGenerate({ prompt }));
    expect(shape).toMatchObject({ code: 'provider_error' });
    expect(shape.message).toContain('unexpected response');
  });

  it('turns a refused connection into provider_unavailable, for both calls', async () => {
    const gone = await startFakeGemini();
    await gone.close();
    const offline = new GoogleModel({ apiKey: gone.apiKey, baseURL: gone.origin, modelId: 'gemini-2.5-flash' });
    for (const call of [offline.doGenerate({ prompt }), offline.doStream({ prompt })]) {
      const error = await failure(call);
      expect(error).toMatchObject({ code: 'provider_unavailable', retryable: true, statusCode: undefined });
      expect(error.message).toContain('ECONNREFUSED');
    }
  });

  it('rethrows the abort reason unchanged, and sends nothing when already aborted', async () => {
    gemini.fake.reply(replyWith(() => new Promise<void>(() => {})));
    const controller = new AbortController();
    const reason = new Error('client went away');
    const pending = gemini.model.doGenerate({ prompt, abortSignal: controller.signal });
    setTimeout(() => controller.abort(reason), 50);
    await expect(pending).rejects.toBe(reason);

    const before = gemini.fake.requests.length;
    const aborted = AbortSignal.abort(reason);
    await expect(gemini.model.doGenerate({ prompt, abortSignal: aborted })).rejects.toBe(reason);
    await expect(gemini.model.doStream({ prompt, abortSignal: aborted })).rejects.toBe(reason);
    expect(gemini.fake.requests.length).toBe(before);
  });
});
