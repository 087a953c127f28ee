import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';

/** The page's own files: plain ES modules, HTML and CSS, served as they are (no build step). */
const webDir = fileURLToPath(new URL('../web/', import.meta.url));

const contentTypes: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** Model output is rendered into this page, so it may load nothing but its own files and talk only to its own origin. */
export const webChatCsp =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
  etag: string;
}

const asset = (body: Buffer, type: string): Asset => ({ body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` });

/**
 * Every servable file, read once at startup: a request names a key of this map, never a path, so no
 * URL can reach another file. Only the page's kinds of file (not its tests or type declarations).
 */
function loadAssets(): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(webDir)) {
    const type = contentTypes[extname(name)];
    if (type && !name.includes('.test.')) assets.set(name, asset(readFileSync(join(webDir, name)), type));
  }
  // marked's browser ESM build, from the installed package wherever npm put it. Its source-map comment
  // is dropped: the map is not served, and a browser would ask for it under another name.
  const markedPath = createRequire(import.meta.url).resolve('marked');
  const marked = readFileSync(markedPath, 'utf8').replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n');
  assets.set('marked.js', asset(Buffer.from(marked), contentTypes['.js']!));
  return assets;
}

/**
 * The web chat page: GET / and /chat, and its files under /chat/assets/. A strict Content-Security-Policy
 * keeps whatever a model writes from running as script; `no-cache` makes browsers revalidate (a cheap 304
 * by ETag), so an upgrade shows at once. Hidden from the API docs: it is a page, not an API.
 */
export const webChatRoutes: FastifyPluginAsync = async (app) => {
  const assets = loadAssets();
  const index = assets.get('index.html');
  if (!index) throw new Error(`The web chat page is missing: no index.html in ${webDir}`);

  const send = (request: FastifyRequest, reply: FastifyReply, { body, type, etag }: Asset) => {
    reply.headers({
      'content-type': type,
      'cache-control': 'no-cache',
      etag,
      'content-security-policy': webChatCsp,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
    });
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.send(body);
  };

  const schema = { hide: true };
  for (const url of ['/', '/chat']) app.get(url, { schema }, (request, reply) => send(request, reply, index));
  app.get<{ Params: { file: string } }>('/chat/assets/:file', { schema }, (request, reply) => {
    const found = assets.get(request.params.file);
    return found ? send(request, reply, found) : reply.callNotFound();
  });
};
