import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildPdf } from './helpers/pdf.ts';
import { startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';

let platform: PlatformProcess;
let admin: string;
let user: string;

beforeAll(async () => {
  platform = await startPlatformProcess();
  admin = platform.token('librarian', '--role', 'admin');
  user = platform.token('reader');
}, 60_000);
afterAll(async () => {
  await platform?.stop();
});

async function call(method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${platform.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

const corpus = {
  'vacation-policy.md': '# Vacation policy\n\nEvery employee has 25 days of paid vacation a year. Unused vacation days carry over until March 31.',
  'deploy-runbook.md': '# Deploy runbook\n\nTo deploy, merge to main, wait for the pipeline, then run the canary for thirty minutes before promoting.',
  'coffee.txt': 'The coffee machine on the third floor is descaled every Friday. Oat milk is in the left fridge.',
};

describe('the knowledge base, through /v1/documents and the chat API (offline provider)', () => {
  it('lets only admins add documents, with clear errors for what cannot be read', async () => {
    expect(await call('POST', '/v1/documents', user, { name: 'x.md', content: 'hello' })).toMatchObject({ status: 403, body: { error: { code: 'forbidden' } } });
    expect(await call('POST', '/v1/documents', admin, { name: 'x.md' })).toMatchObject({ status: 400, body: { error: { code: 'invalid_request', message: expect.stringContaining('exactly one of content, content_base64 or url') } } });
    const binary = Buffer.from([0, 1, 2, 255, 254, 0]).toString('base64');
    expect(await call('POST', '/v1/documents', admin, { name: 'blob.bin', content_base64: binary })).toMatchObject({ status: 415, body: { error: { code: 'unsupported_media_type' } } });
    expect(await call('POST', '/v1/documents', admin, { url: 'https://example.com/page' })).toMatchObject({ status: 403, body: { error: { message: expect.stringContaining('FETCH_ALLOWED_HOSTS') } } });
  });

  it('adds, lists and removes documents, text and PDF', async () => {
    for (const [name, content] of Object.entries(corpus)) {
      const added = await call('POST', '/v1/documents', admin, { name, content });
      expect(added).toMatchObject({ status: 201, body: { object: 'document', name, workspace: 'default', chunks: 1, embedding_model: 'offline' } });
    }
    const pdf = Buffer.from(buildPdf(['Parking permits are renewed every January at the front desk.'])).toString('base64');
    const added = await call('POST', '/v1/documents', admin, { name: 'parking.pdf', content_base64: pdf, media_type: 'application/pdf' });
    expect(added).toMatchObject({ status: 201, body: { format: 'pdf', chars: expect.any(Number) } });
    const listed = await call('GET', '/v1/documents', admin);
    expect(listed.body.data.map((document: { name: string }) => document.name).sort()).toEqual(['coffee.txt', 'deploy-runbook.md', 'parking.pdf', 'vacation-policy.md']);
    expect((await call('GET', '/v1/documents', user)).status).toBe(403);

    const removed = await call('DELETE', `/v1/documents/${added.body.id}`, admin);
    expect(removed).toMatchObject({ status: 200, body: { id: added.body.id } });
    expect((await call('DELETE', `/v1/documents/${added.body.id}`, admin)).status).toBe(404);
  });

  it('retrieves the right passage for a question and cites it in the answer', async () => {
    const client = new OpenAI({ apiKey: user, baseURL: `${platform.url}/v1`, maxRetries: 0 });
    const ask = async (question: string) =>
      (await client.chat.completions.create({ model: 'default', messages: [{ role: 'user', content: question }] })).choices[0]?.message.content ?? '';
    const vacation = await ask('How many vacation days do employees get?');
    expect(vacation).toContain('The closest passage in the knowledge base is [1] vacation-policy.md: "# Vacation policy Every employee has 25 days');
    expect(vacation).toMatch(/\n\nSources: \[1\] vacation-policy\.md$/);
    expect(await ask('How do I deploy to production with the canary?')).toContain('[1] deploy-runbook.md');
    expect(await ask('Where is the oat milk for the coffee?')).toContain('[1] coffee.txt');
    // Nothing close enough: no passage, no sources line.
    expect(await ask('zzzz qqqq')).not.toContain('Sources:');
  });
});
