import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { chunk, openAIError, startFakeOpenAI, streamChunks, streamedAnswer } from './fakes/fake-openai.ts';
import type { FakeServer } from './fakes/fake-server.ts';
import { root, startPlatformProcess, type PlatformProcess } from './helpers/platform.ts';

/**
 * The web chat page in a real headless Chromium (Debian's `chromium`, which `npm test` installs when
 * missing), against the whole platform and a fake OpenAI: what a person sees and does, through the
 * page's own buttons and the gateway's real API.
 */
const screenshot = join(root, 'test-output', 'web-chat.png');

/** CHROMIUM_PATH, or the first Chromium or Chrome on PATH. */
function findChromium(): string {
  if (process.env.CHROMIUM_PATH) return process.env.CHROMIUM_PATH;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome']) {
    const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).stdout.trim();
    if (found) return found;
  }
  throw new Error('No Chromium found for the web chat test: install Debian\'s "chromium" package (npm test does so as root), or set CHROMIUM_PATH.');
}

let upstream: FakeServer & { baseURL: string };
let platform: PlatformProcess;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];
// What the page shows comes through a queue, a worker and a fake provider: seconds, not the default 1.
vi.setConfig({ testTimeout: 60_000 });
const poll = <T>(value: () => T | Promise<T>, timeout = 10_000) => expect.poll(value, { timeout, interval: 50 });

beforeAll(async () => {
  upstream = await startFakeOpenAI(streamedAnswer('Hello!'));
  platform = await startPlatformProcess({
    OPENAI_API_KEY: 'sk-upstream-key-12345678',
    OPENAI_BASE_URL: upstream.baseURL,
    OPENAI_THINKING_MODEL: 'fake-thinker',
    RATE_LIMIT_USER_RPM: '4',
    LLM_MAX_RETRIES: '0',
  });
  // As root (CI), Chromium refuses to start without --no-sandbox.
  browser = await chromium.launch({ executablePath: findChromium(), headless: true, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await platform?.stop();
  await upstream?.close();
});
beforeEach(async () => {
  upstream.handle(streamedAnswer('Hello!'));
  page = await browser.newPage({ viewport: { width: 1100, height: 760 } });
  page.on('pageerror', (error) => pageErrors.push(error.message));
  return () => page.close();
});

const byTestId = (id: string) => page.getByTestId(id);
const messages = () => page.getByTestId('message');
const lastAnswer = () => page.locator('[data-testid="message"][data-role="assistant"]').last();

/** Opens the page and signs in as a fresh person with a token from `npm run token`. */
async function signIn(user: string) {
  await page.goto(`${platform.url}/chat`);
  await byTestId('token-input').fill(platform.token(user));
  await byTestId('sign-in').click();
  await poll(() => byTestId('message-input').isVisible()).toBe(true);
}

async function send(text: string) {
  await byTestId('message-input').fill(text);
  await byTestId('send').click();
}

const stateOf = (locator: ReturnType<typeof lastAnswer>) => locator.getAttribute('data-state');

describe('the web chat page in headless Chromium', () => {
  it('refuses a bad credential plainly, then signs in, streams an answer as Markdown, and lists the conversation', async () => {
    await page.goto(`${platform.url}/`);
    await byTestId('token-input').fill('not-a-token');
    await byTestId('sign-in').click();
    await poll(() => byTestId('error-text').textContent()).toMatch(/^Sign-in refused: /);
    expect(await byTestId('message-input').isVisible()).toBe(false);

    await signIn('web-alice');
    const models = await byTestId('model-select').locator('option').allTextContents();
    expect(models.slice(0, 3)).toEqual(['default', 'instant', 'thinking']);
    await byTestId('model-select').selectOption('thinking');

    // Slow enough to be seen streaming: the answer grows in place before it is done.
    const text = 'Here is **bold** advice.\n\n```js\nconst answer = 42;\n```\n\nAnd a closing line that takes a while to arrive.';
    upstream.handle(streamedAnswer(text, { size: 6, delayMs: 60 }));
    await send('Give me advice');
    await poll(() => stateOf(lastAnswer())).toBe('streaming');
    await poll(async () => (await lastAnswer().textContent())?.length ?? 0).toBeGreaterThan(12);
    expect(await stateOf(lastAnswer())).toBe('streaming');
    await poll(() => stateOf(lastAnswer()), 15_000).toBe('done');

    expect(upstream.requests.at(-1)?.body).toMatchObject({ model: 'fake-thinker', stream: true });
    expect(await lastAnswer().locator('strong').textContent()).toBe('bold');
    expect(await lastAnswer().locator('pre code').textContent()).toBe('const answer = 42;');
    expect(await messages().first().getAttribute('data-role')).toBe('user');

    // Listed once, under the page's own conversation, and marked as the one open.
    await poll(() => byTestId('conversation-list').locator('button').allTextContents()).toEqual(['Give me advice']);
    expect(await byTestId('conversation-list').locator('button[aria-current="true"]').count()).toBe(1);

    // A reload stays signed in and keeps the conversation; a new chat starts empty.
    await page.reload();
    await poll(() => byTestId('conversation-list').locator('button').allTextContents()).toEqual(['Give me advice']);
    await byTestId('new-chat').click();
    expect(await messages().count()).toBe(0);
    await byTestId('conversation-list').locator('button').first().click();
    await poll(() => messages().count()).toBe(2);

    // Another browser (nothing saved) lists it from the gateway's record, and reads its history back.
    const elsewhere = await browser.newPage();
    try {
      await elsewhere.goto(`${platform.url}/chat`);
      await elsewhere.getByTestId('token-input').fill(platform.token('web-alice'));
      await elsewhere.getByTestId('sign-in').click();
      await poll(() => elsewhere.getByTestId('conversation-list').locator('button').allTextContents()).toEqual(['Give me advice']);
      await elsewhere.getByTestId('conversation-list').locator('button').first().click();
      await poll(() => elsewhere.getByTestId('message').allTextContents()).toEqual([expect.stringContaining('Give me advice'), expect.stringContaining('const answer = 42;')]);
    } finally {
      await elsewhere.close();
    }

    mkdirSync(join(root, 'test-output'), { recursive: true });
    await page.screenshot({ path: screenshot, fullPage: true });
    expect(readFileSync(screenshot).subarray(1, 4).toString()).toBe('PNG');
    expect(pageErrors).toEqual([]);
  });

  it('stops a long answer: the text so far stays, and the provider call is cancelled', async () => {
    let cancelled = false;
    upstream.handle((_request, response) => {
      response.on('close', () => {
        if (!response.writableFinished) cancelled = true;
      });
      const pieces = Array.from({ length: 400 }, (_, i) => chunk({ content: `word${i} ` }));
      return streamChunks(response, [chunk({ role: 'assistant', content: '' }), ...pieces, chunk({}, { finishReason: 'stop' })], { delayMs: 50 });
    });
    await signIn('web-bob');
    await send('Tell me a very long story');
    await poll(async () => (await lastAnswer().textContent()) ?? '').toContain('word3 ');
    await byTestId('stop').click();
    await poll(() => stateOf(lastAnswer())).toBe('stopped');
    expect(await lastAnswer().textContent()).toContain('Stopped.');
    expect(await byTestId('stop').isVisible()).toBe(false);
    expect(await byTestId('send').isEnabled()).toBe(true);
    await poll(() => cancelled).toBe(true);
    expect(await lastAnswer().textContent()).not.toContain('word399');
  });

  it('says plainly that it is rate limited, with the wait', async () => {
    await signIn('web-carol');
    for (let i = 1; i <= 4; i++) {
      await send(`Question ${i}`);
      await poll(() => stateOf(lastAnswer())).toBe('done');
    }
    await send('One too many');
    await poll(() => byTestId('error-text').textContent()).toMatch(/Rate limited: try again in \d+ s\./);
    expect(await stateOf(lastAnswer())).toBe('error');
    expect(await byTestId('retry').isVisible()).toBe(true);
  });

  it('says a provider is down, and Retry answers once it is back', async () => {
    upstream.handle((_request, response) => openAIError(response, 503, 'The engine is currently overloaded.'));
    await signIn('web-dave');
    await send('Are you there?');
    await poll(() => stateOf(lastAnswer())).toBe('error');
    const said = (await byTestId('error-text').textContent()) ?? '';
    expect(said).toMatch(/^The AI provider is not answering right now\. openai: The engine is currently overloaded\./);
    expect(said).not.toContain('sk-upstream-key');

    upstream.handle(streamedAnswer('Back again.'));
    await byTestId('retry').click();
    await poll(() => stateOf(lastAnswer())).toBe('done');
    expect(await lastAnswer().textContent()).toContain('Back again.');
    expect(await byTestId('error').isVisible()).toBe(false);
    expect(await messages().count()).toBe(2);
  });

  it('says when answers come from the built-in offline model, on a gateway with no provider key', async () => {
    await signIn('web-frank');
    await send('Hello there');
    await poll(() => stateOf(lastAnswer())).toBe('done');
    expect(await byTestId('offline-note').isVisible()).toBe(false);

    const keyless = await startPlatformProcess();
    try {
      await page.goto(`${keyless.url}/chat`);
      await byTestId('token-input').fill(keyless.token('web-frank'));
      await byTestId('sign-in').click();
      await send('Hello offline');
      await poll(() => stateOf(lastAnswer())).toBe('done');
      expect(await byTestId('offline-note').isVisible()).toBe(true);
      expect(await byTestId('offline-note').textContent()).toMatch(/built-in offline model until a provider key/);
    } finally {
      await keyless.stop();
    }
  });

  it('shows a model reply that tries HTML or script injection as text, running nothing', async () => {
    const attack = [
      '<script>window.__pwned = "script"</script>',
      '<img src="x" onerror="window.__pwned = \'img\'">',
      '[click me](javascript:window.__pwned=1)',
      '<a href="https://example.com" onclick="window.__pwned = \'a\'">styled link</a>',
    ].join('\n\n');
    upstream.handle(streamedAnswer(attack));
    await signIn('web-eve');
    await send('Say something dangerous');
    await poll(() => stateOf(lastAnswer())).toBe('done');
    const answer = lastAnswer().locator('.body');
    expect(await answer.locator('script, img, iframe, [onerror], [onclick]').count()).toBe(0);
    expect(await answer.locator('a').count()).toBe(0);
    const shown = (await answer.textContent()) ?? '';
    expect(shown).toContain('<script>window.__pwned = "script"</script>');
    expect(shown).toContain('<img src="x" onerror=');
    expect(await page.evaluate(() => (globalThis as { __pwned?: unknown }).__pwned)).toBeUndefined();
  });
});
