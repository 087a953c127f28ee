import { readFileSync } from 'node:fs';
import fastifySwagger, { type SwaggerTransform, type SwaggerTransformObject } from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import type { FastifyPluginAsync } from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorBodySchema } from './openai-schemas.ts';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** Tags by path, first match wins: routes stay free of grouping, and a new route lands in its group. */
const tagRules: [RegExp, string][] = [
  [/^\/v1\/(chat\/completions|completions|embeddings|models|ws)$/, 'OpenAI-compatible'],
  [/^\/v1\/(users|link|pairing)(\/|$)/, 'Accounts'],
  [/^\/v1\/keys(\/|$)/, 'Keys'],
  [/^\/v1\/documents(\/|$)/, 'Documents'],
  [/^\/v1\/conversations(\/|$)/, 'Conversations'],
  [/^\/v1\/(usage|audit)(\/|$)/, 'Usage & audit'],
  [/^\/(health|metrics|openapi\.json|v1\/providers)$/, 'Operations'],
];
const webhookTag = 'Webhooks';

const tags = [
  { name: 'OpenAI-compatible', description: 'The OpenAI wire format: existing OpenAI clients and SDKs work with the base URL set to this gateway. Answers can stream (SSE, NDJSON or the WebSocket).' },
  { name: 'Accounts', description: 'Users, roles and limits, linking chat identities to one user, and pairing approvals.' },
  { name: 'Keys', description: 'API keys (`sk-gw-…`): minted by admins, usable wherever a token is.' },
  { name: 'Documents', description: 'The knowledge base that answers cite (admins).' },
  { name: 'Conversations', description: 'Your stored conversations, from every chat and from HTTP requests sent with `X-Conversation-Id`.' },
  { name: 'Usage & audit', description: 'Requests, tokens and cost; the hash-chained audit trail (admins).' },
  { name: 'Operations', description: 'Probes, metrics, provider state and this document. Probes, metrics and this document need no credential.' },
  { name: webhookTag, description: "Called by a chat platform (authenticated with that platform's secret), not by API clients." },
];

/** Served without a bearer credential: probes, scrapers and readers of these docs have none. */
const publicPaths = new Set(['/health', '/metrics', '/openapi.json']);

const tagOf = (url: string) => tagRules.find(([pattern]) => pattern.test(url))?.[1] ?? webhookTag;

/** `POST /v1/users/:user/identities` → `postV1UsersByUserIdentities`: stable names for generated clients. */
const operationIdOf = (method: string, url: string) =>
  method.toLowerCase() +
  url
    .split(/[/.]/)
    .filter(Boolean)
    .map((part) => (part.startsWith(':') ? `By${capitalize(part.slice(1))}` : part.split(/[-_]/).map(capitalize).join('')))
    .join('');
const capitalize = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);

const { $schema: _, ...errorJson } = z.toJSONSchema(errorBodySchema, { target: 'draft-2020-12', io: 'output' });
/** Every authenticated route refuses the same ways; documented once here rather than on each route. */
const errorResponse = {
  ...errorJson,
  description:
    "A refusal or failure, in OpenAI's error shape: 400 invalid request, 401 missing or invalid credential, 402 budget spent, " +
    '403 forbidden, 404 not found, 429 rate limited (with `Retry-After`), 5xx the gateway or a provider failed. `code` is stable; `message` says what to do.',
};

/** 3.1 keeps a schema's `examples` in the schema; on the media object, where the UI shows them, as for JSON bodies. */
const withMediaExamples = (response: unknown) => {
  const { content } = response as { content?: Record<string, { schema: { examples?: unknown[] } }> };
  if (!content) return response;
  const media = Object.entries(content).map(([type, { schema }]) => [type, schema.examples?.length ? { schema, examples: exampleObjects(schema.examples) } : { schema }]);
  return { ...(response as object), content: Object.fromEntries(media) };
};
const exampleObjects = (examples: unknown[]) => Object.fromEntries(examples.map((value, index) => [`example${index + 1}`, { value }]));

const acceptsNothing = (body: unknown) => (body as { safeParse?: (value: unknown) => { success: boolean } } | undefined)?.safeParse?.(undefined).success === true;

/** The route and document transforms of one app: its routes are grouped, secured and given their error shape. */
function transforms(): { transform: SwaggerTransform; transformObject: SwaggerTransformObject } {
  // @fastify/swagger marks every body required; these operations' bodies may be left out, corrected last.
  const optionalBodies = new Set<string>();

  const transform: SwaggerTransform = (document) => {
    const { schema, url } = jsonSchemaTransform(document);
    if (schema?.hide) return { schema, url };
    const tag = tagOf(url);
    const methods = [document.route.method].flat();
    if (acceptsNothing(document.schema?.body)) for (const method of methods) optionalBodies.add(`${method.toLowerCase()} ${url.replace(/:(\w+)/g, '{$1}')}`);
    const response = Object.fromEntries(Object.entries((schema?.response ?? {}) as Record<string, unknown>).map(([status, value]) => [status, withMediaExamples(value)]));
    const described = {
      ...schema,
      tags: schema?.tags ?? [tag],
      // Several methods on one route would share the id; only a single method gets one.
      ...(methods.length === 1 && !schema?.operationId ? { operationId: operationIdOf(methods[0]!, url) } : {}),
      ...(schema?.response ? { response } : {}),
    };
    if (tag === webhookTag) return { url, schema: { summary: 'Chat platform webhook', description: "A chat platform's webhook.", ...described } };
    if (publicPaths.has(url)) return { url, schema: described };
    return {
      url,
      schema: {
        ...described,
        security: schema?.security ?? [{ bearer: [] }],
        // A WebSocket (101) reports its refusals as frames, not as an HTTP error body.
        response: '101' in response ? response : { ...response, default: errorResponse },
      },
    };
  };

  const transformObject: SwaggerTransformObject = (document) => {
    const spec = (document as { openapiObject: { paths?: Record<string, Record<string, { requestBody?: { required?: boolean } }>> } }).openapiObject;
    for (const key of optionalBodies) {
      const [method = '', path = ''] = key.split(' ');
      const body = spec.paths?.[path]?.[method]?.requestBody;
      if (body) body.required = false;
    }
    return spec;
  };
  return { transform, transformObject };
}

const description = `A chat-bot platform on a shared LLM gateway core. Every request goes through the same queue and pipeline as the chat platforms' messages: tiers, rate limits, budgets, tools, knowledge and audit.

**Authentication.** Send \`Authorization: Bearer <credential>\`: a JWT (the gateway's own, from \`npm run -s token -- --user <name>\`, or your identity provider's when JWT_JWKS_URL is set) or an API key \`sk-gw-…\` (POST /v1/keys).

**Errors** have OpenAI's shape, \`{"error": {"message", "type", "param", "code"}}\`; every response carries \`X-Request-Id\` (yours, if you sent a well-formed one).

This document lists what this process serves: account, document, usage and audit routes appear only where they are enabled.`;

const spec = {
  openapi: '3.1.0',
  info: { title: 'Chat gateway API', version, description, license: { name: 'MIT', identifier: 'MIT' } },
  servers: [{ url: '/', description: 'This gateway' }],
  tags,
  components: {
    securitySchemes: {
      bearer: {
        type: 'http' as const,
        scheme: 'bearer',
        bearerFormat: 'JWT or API key (sk-gw-…)',
        description: 'A JWT (HS256 from this gateway, or from the configured identity provider) or an API key starting with `sk-gw-`.',
      },
    },
  },
};

const openApiDocumentSchema = z
  .looseObject({ openapi: z.string(), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .meta({ examples: [{ openapi: '3.1.0', info: { title: 'Chat gateway API', version }, paths: { '/health': { get: { summary: 'Health of this process' } } } }] });

/**
 * The API described from the routes' own zod schemas: GET /openapi.json (OpenAPI 3.1) and a browsable
 * page at /docs (Swagger UI, served from the package: no CDN, works offline). Registered before the
 * routes, on the root instance (skip-override), so @fastify/swagger's onRoute hook sees every route.
 */
const plugin: FastifyPluginAsync = async (app) => {
  await app.register(fastifySwagger, { openapi: spec, ...transforms() });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    uiConfig: { docExpansion: 'list', deepLinking: true },
    theme: { title: 'Chat gateway API' },
    // The package's own policy (its inline scripts by hash), minus upgrade-insecure-requests, which would
    // send a plain-HTTP gateway's page to fetch its own scripts over HTTPS; and never framed.
    staticCSP: true,
    transformStaticCSP: (header) => header.replace(/\s*upgrade-insecure-requests;?/, '').replace("frame-ancestors 'self'", "frame-ancestors 'none'"),
  });
  app.get(
    '/openapi.json',
    { schema: { summary: 'This document', description: 'The OpenAPI 3.1 description of every endpoint this process serves; /docs shows it browsable.', response: { 200: openApiDocumentSchema } } },
    async () => app.swagger(),
  );
};
export const openApi = Object.assign(plugin, { [Symbol.for('skip-override')]: true, [Symbol.for('fastify.display-name')]: 'openapi' });
