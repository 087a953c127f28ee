import { readFileSync } from 'node:fs';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { webChatCsp, webChatRoutes } from './web-chat.ts';

describe('the web chat page', () => {
  let app: FastifyInstance;
  const routes: RouteOptions[] = [];

  beforeAll(async () => {
    app = Fastify();
    app.addHook('onRoute', (route) => void routes.push(route));
    await app.register(webChatRoutes);
    await app.ready();
  });
  afterAll(() => app.close());

  const get = (url: string, headers: Record<string, string> = {}) => app.inject({ method: 'GET', url, headers });

  it.each(['/', '/chat'])('serves the page at %s with a strict CSP and nosniff', async (url) => {
    const response = await get(url);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['content-security-policy']).toBe(webChatCsp);
    expect(webChatCsp).toContain("script-src 'self'");
    expect(webChatCsp).toContain("frame-ancestors 'none'");
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toContain('data-testid="token-input"');
    expect(response.body).toContain('src="/chat/assets/chat.js"');
  });

  it('has no inline script or style, which the CSP would block', async () => {
    const { body } = await get('/chat');
    expect(body).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
    expect(body).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
  });

  it.each([
    ['chat.js', 'text/javascript; charset=utf-8'],
    ['api.js', 'text/javascript; charset=utf-8'],
    ['render-markdown.js', 'text/javascript; charset=utf-8'],
    ['saved.js', 'text/javascript; charset=utf-8'],
    ['message-view.js', 'text/javascript; charset=utf-8'],
    ['chat.css', 'text/css; charset=utf-8'],
    ['index.html', 'text/html; charset=utf-8'],
  ])('serves %s as %s, as it is on disk', async (file, type) => {
    const response = await get(`/chat/assets/${file}`);
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe(type);
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect(response.headers['cache-control']).toBe('no-cache');
    expect(response.body).toBe(readFileSync(new URL(`../web/${file}`, import.meta.url), 'utf8'));
  });

  it("serves marked's browser ESM build from the installed package", async () => {
    const response = await get('/chat/assets/marked.js');
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(response.body).toMatch(/export\s*\{[^}]*\bMarked\b/);
    expect(response.body).not.toContain('sourceMappingURL');
  });

  it('serves every module the page imports, and has every element its script looks up', async () => {
    const served = new Set<string>();
    const pending = ['chat.js'];
    while (pending.length) {
      const file = pending.pop()!;
      if (served.has(file)) continue;
      const response = await get(`/chat/assets/${file}`);
      expect(response.statusCode, file).toBe(200);
      served.add(file);
      // Static imports only, relative to /chat/assets/: the browser resolves them there.
      for (const [, specifier] of response.body.matchAll(/^import\s[^'"]*['"]\.\/([\w.-]+)['"]/gm)) pending.push(specifier!);
    }
    expect([...served].sort()).toEqual(['api.js', 'chat.js', 'marked.js', 'message-view.js', 'render-markdown.js', 'saved.js']);

    const page = (await get('/chat')).body;
    const script = (await get('/chat/assets/chat.js')).body;
    for (const [, id] of script.matchAll(/element\('([\w-]+)'\)/g)) expect(page, `#${id}`).toContain(`id="${id}"`);
    for (const testid of ['token-input', 'sign-in', 'sign-out', 'model-select', 'message-input', 'send', 'stop', 'retry', 'new-chat', 'conversation-list', 'messages', 'error']) {
      expect(page, testid).toContain(`data-testid="${testid}"`);
    }
    expect(page).toMatch(/data-testid="messages"[^>]*aria-live="polite"/);
  });

  it('answers a revalidation with 304 while the file is unchanged', async () => {
    const first = await get('/chat/assets/chat.js');
    const etag = String(first.headers.etag);
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get('/chat/assets/chat.js', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it.each([
    '/chat/assets/../../package.json',
    '/chat/assets/..%2F..%2Fpackage.json',
    '/chat/assets/..%2f..%2f..%2f..%2fpackage.json',
    '/chat/assets/%2e%2e/%2e%2e/package.json',
    '/chat/assets/nothing.js',
    '/chat/assets/render-markdown.test.ts',
    '/chat/assets/render-markdown.d.ts',
    '/chat/assets/',
    '/chat/assets/constructor',
    '/chat/assets/__proto__',
  ])('refuses %s with 404', async (url) => {
    const response = await get(url);
    expect(response.statusCode).toBe(404);
    expect(response.body).not.toContain('"name": "chat-gateway"');
  });

  it('keeps every route out of the API docs', () => {
    const pages = routes.filter((route) => route.method !== 'HEAD');
    expect(pages.map((route) => route.url).sort()).toEqual(['/', '/chat', '/chat/assets/:file']);
    for (const route of pages) expect(route.schema?.hide, route.url).toBe(true);
  });
});
