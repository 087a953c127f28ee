import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { replyEmbeddings, replyError, startFakeGemini, type FakeGemini } from '../../../../test/fakes/fake-gemini.ts';
import { GoogleEmbeddingModel } from './index.ts';

let fake: FakeGemini;
let model: GoogleEmbeddingModel;

beforeAll(async () => {
  fake = await startFakeGemini();
  model = new GoogleEmbeddingModel({ apiKey: fake.apiKey, baseURL: fake.origin, modelId: 'text-embedding-004' });
});
afterAll(() => fake.close());

describe('GoogleEmbeddingModel', () => {
  it('sends the texts to :batchEmbedContents and returns one vector per text, in order', async () => {
    fake.reply(replyEmbeddings([[0.1, 0.2], [0.3, 0.4]]));
    const result = await model.doEmbed({ values: ['hello', 'a longer text'] });

    const request = fake.last!;
    expect(request.url).toBe('/v1beta/models/text-embedding-004:batchEmbedContents');
    expect(request.url).not.toContain(fake.apiKey);
    expect(request.headers['x-goog-api-key']).toBe(fake.apiKey);
    expect(request.body).toEqual({
      requests: [
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'hello' }] } },
        { model: 'models/text-embedding-004', content: { parts: [{ text: 'a longer text' }] } },
      ],
    });
    // Google reports no usage for embeddings: ceil(18 chars / 4).
    expect(result).toEqual({ embeddings: [[0.1, 0.2], [0.3, 0.4]], usage: { inputTokens: 5 } });
  });

  it('splits more than 100 texts into calls of at most 100, keeping the order', async () => {
    fake.reply(replyEmbeddings());
    const values = Array.from({ length: 101 }, (_, index) => 'x'.repeat(index + 1));
    const before = fake.requests.length;
    const result = await model.doEmbed({ values });

    const sizes = fake.requests.slice(before).map((request) => (request.body as { requests: unknown[] }).requests.length);
    expect(sizes).toEqual([100, 1]);
    // The fake's vector starts with the text's length, so order is visible.
    expect(result.embeddings.map((vector) => vector[0])).toEqual(values.map((value) => value.length));
  });

  it('fails with provider_error when the vectors do not match the texts', async () => {
    fake.reply(replyEmbeddings([[1, 2]]));
    await expect(model.doEmbed({ values: ['a', 'b'] })).rejects.toMatchObject({
      code: 'provider_error',
      message: expect.stringContaining('expected 2 embeddings, got 1'),
    });
  });

  it("maps Google's errors like the chat model does", async () => {
    fake.reply(replyError(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded.', { headers: { 'retry-after': '2' } }));
    await expect(model.doEmbed({ values: ['a'] })).rejects.toMatchObject({ code: 'provider_rate_limited', retryAfterMs: 2000 });

    const wrong = new GoogleEmbeddingModel({ apiKey: 'wrong-key-0123456789', baseURL: fake.origin, modelId: 'text-embedding-004' });
    await expect(wrong.doEmbed({ values: ['a'] })).rejects.toMatchObject({ code: 'provider_auth_failed', retryable: false });
  });

  it('turns a refused connection into provider_unavailable', async () => {
    const gone = await startFakeGemini();
    await gone.close();
    const offline = new GoogleEmbeddingModel({ apiKey: gone.apiKey, baseURL: gone.origin, modelId: 'text-embedding-004' });
    await expect(offline.doEmbed({ values: ['a'] })).rejects.toMatchObject({ code: 'provider_unavailable', retryable: true });
  });
});
