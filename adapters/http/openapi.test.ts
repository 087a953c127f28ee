import type { RouteOptions } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuditLog } from '../../core/audit/audit-log.ts';
import { ConversationHistory } from '../../core/conversations/conversation-history.ts';
import { Accounts } from '../../core/identity/accounts.ts';
import { DocumentLibrary } from '../../core/knowledge/document-library.ts';
import { KnowledgeBase } from '../../core/knowledge/knowledge-base.ts';
import { OfflineEmbeddingModel } from '../../core/models/providers/offline/offline-embedding-model.ts';
import { ModelRegistry } from '../../core/models/registry.ts';
import { SqliteKnowledgeStore } from '../../core/store/embedded/sqlite-knowledge-store.ts';
import { SqliteStore } from '../../core/store/embedded/sqlite-store.ts';
import { UsageReports } from '../../core/usage/usage-reports.ts';
import { buildHttpAdapter, type HttpAdapter } from './http-adapter.ts';
import type { JobsPort } from './jobs-port.ts';
import { errorBodySchema } from './openai-schemas.ts';

interface Media {
  schema?: unknown;
  example?: unknown;
  examples?: Record<string, { value: unknown }>;
}
interface Operation {
  summary?: string;
  description?: string;
  tags?: string[];
  security?: Record<string, string[]>[];
  requestBody?: { content: Record<string, Media> };
  responses: Record<string, { description: string; content?: Record<string, Media> }>;
}
interface Document {
  openapi: string;
  info: { title: string; version: string };
  components: { securitySchemes: Record<string, { type: string; scheme?: string }> };
  paths: Record<string, Record<string, Operation>>;
}
type Parser = { safeParse(value: unknown): { success: boolean; error?: unknown } };

/** The queue is never reached: documenting routes sends nothing through them. */
const unused = (): never => {
  throw new Error('the documentation test does not use the queue');
};
const jobs: JobsPort = { replyAddress: 'unused', enqueue: unused, awaitReply: unused, subscribe: unused, cancel: unused, cancelUnlessResumed: unused, markResumed: unused };

const examplesOf = (media: Media) => (media.example !== undefined ? [media.example] : Object.values(media.examples ?? {}).map((example) => example.value));
const isParser = (schema: unknown): schema is Parser => typeof (schema as Partial<Parser> | undefined)?.safeParse === 'function';
const publicPaths = ['/health', '/metrics', '/openapi.json'];

describe('the API documentation', () => {
  let app: HttpAdapter;
  const store = new SqliteStore(':memory:');
  const knowledgeStore = new SqliteKnowledgeStore(':memory:');
  /** Every route the app serves, as the documentation should list them: no HEAD twins, not /docs's own pages. */
  const routes: RouteOptions[] = [];
  let spec: Document;

  beforeAll(async () => {
    const knowledge = new KnowledgeBase(knowledgeStore, () => new OfflineEmbeddingModel());
    app = buildHttpAdapter({
      jwtKey: new TextEncoder().encode('a test key that is at least thirty-two bytes long'),
      log: pino({ level: 'silent' }),
      models: new ModelRegistry(),
      jobs,
      healthChecks: {},
      accounts: new Accounts(store),
      documents: new DocumentLibrary({ store, knowledge, fetchAllowedHosts: [] }),
      usage: new UsageReports(store),
      audit: new AuditLog(store),
      conversations: new ConversationHistory(store),
    });
    app.addHook('onRoute', (route) => {
      // The web chat page and Swagger UI are pages, not API operations.
      if (route.method !== 'HEAD' && !route.schema?.hide && !/^\/docs(\/|$)/.test(route.url)) routes.push(route);
    });
    await app.ready();
    const response = await app.inject({ method: 'GET', url: '/openapi.json' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    spec = response.json<Document>();
  });
  afterAll(async () => {
    await app.close();
    await store.close();
    await knowledgeStore.close();
  });

  /** [method, OpenAPI path, route] for every method of every route. */
  const operations = () =>
    routes.flatMap((route) => [route.method].flat().map((method) => [method.toLowerCase(), route.url.replace(/:(\w+)/g, '{$1}'), route] as const));
  const operationOf = (method: string, path: string) => {
    const operation = spec.paths[path]?.[method];
    expect(operation, `${method.toUpperCase()} ${path} documented`).toBeDefined();
    return operation!;
  };

  it('is OpenAPI 3.1 with a bearer scheme', () => {
    expect(spec.openapi).toMatch(/^3\.1\.\d+$/);
    expect(spec.info.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(spec.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  it('lists every registered route, and nothing else', () => {
    const registered = operations().map(([method, path]) => `${method.toUpperCase()} ${path}`);
    // With every option on, the optional groups are all there.
    expect(registered).toEqual(expect.arrayContaining(['POST /v1/keys', 'PATCH /v1/users/{user}', 'POST /v1/documents', 'GET /v1/usage', 'GET /v1/audit/verify', 'GET /v1/conversations/{id}/messages', 'GET /v1/ws', 'GET /metrics', 'GET /openapi.json']));
    const documented = Object.entries(spec.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    expect(documented.sort()).toEqual([...new Set(registered)].sort());
  });

  it('describes, tags and secures every operation', () => {
    for (const [method, path] of operations()) {
      const operation = operationOf(method, path);
      const where = `${method.toUpperCase()} ${path}`;
      expect(operation.summary, where).toBeTruthy();
      expect(operation.description, where).toBeTruthy();
      expect(operation.tags, where).toHaveLength(1);
      if (publicPaths.includes(path)) expect(operation.security, where).toBeUndefined();
      else expect(operation.security, where).toContainEqual({ bearer: [] });
    }
  });

  it('gives every request body and every 2xx response an example', () => {
    for (const [method, path] of operations()) {
      const operation = operationOf(method, path);
      const where = `${method.toUpperCase()} ${path}`;
      for (const media of Object.values(operation.requestBody?.content ?? {})) expect(examplesOf(media).length, `${where} request body`).toBeGreaterThan(0);
      const ok = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
      if (path !== '/v1/ws') expect(ok.length, where).toBeGreaterThan(0);
      for (const [status, response] of ok) {
        expect(response.content, `${where} ${status}`).toBeDefined();
        for (const media of Object.values(response.content ?? {})) expect(examplesOf(media).length, `${where} ${status}`).toBeGreaterThan(0);
      }
    }
  });

  it('has only examples that the routes’ own schemas accept', () => {
    let checked = 0;
    const check = (schema: unknown, examples: unknown[], where: string) => {
      expect(isParser(schema), `${where}: a zod schema`).toBe(true);
      for (const example of examples) {
        const result = (schema as Parser).safeParse(example);
        expect(result.success, `${where}: ${JSON.stringify(example)} ${String(result.error)}`).toBe(true);
        checked++;
      }
    };
    for (const [method, path, route] of operations()) {
      const operation = operationOf(method, path);
      const where = `${method.toUpperCase()} ${path}`;
      const body = operation.requestBody?.content['application/json'];
      if (body) check(route.schema?.body, examplesOf(body), `${where} request body`);
      const responses = (route.schema?.response ?? {}) as Record<string, unknown>;
      for (const [status, schema] of Object.entries(responses)) {
        for (const [type, media] of Object.entries(operation.responses[status]?.content ?? {})) {
          const keyed = (schema as { content?: Record<string, { schema: unknown }> }).content;
          check(keyed ? keyed[type]?.schema : schema, examplesOf(media), `${where} ${status} ${type}`);
        }
      }
      const refusal = operation.responses.default?.content?.['application/json'];
      if (refusal) check(errorBodySchema, examplesOf(refusal), `${where} default`);
    }
    expect(checked).toBeGreaterThan(40);
  });

  it('marks a body required unless the route accepts none', () => {
    expect(operationOf('post', '/v1/keys').requestBody).toMatchObject({ required: true });
    expect(operationOf('post', '/v1/link').requestBody).toMatchObject({ required: false });
  });

  it('documents the WebSocket protocol and the text of /metrics', () => {
    const ws = operationOf('get', '/v1/ws');
    expect(ws.responses['101']).toBeDefined();
    for (const frame of ['auth', 'request', 'cancel', 'resume', 'ping', 'ready', 'accepted', 'chunk', 'done', 'error', 'pong']) expect(ws.description).toContain(`"type":"${frame}"`);
    expect(Object.keys(operationOf('get', '/metrics').responses['200']!.content!)).toEqual(['text/plain', 'application/openmetrics-text']);
  });

  it('leaves what the documented routes send unchanged', async () => {
    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toContain('# TYPE ');
    const health = await app.inject({ method: 'GET', url: '/health' });
    expect(health.json()).toEqual({ status: 'ok', checks: {} });
    const refused = await app.inject({ method: 'GET', url: '/v1/models' });
    expect(refused.statusCode).toBe(401);
  });

  it('serves a browsable page at /docs, from the package, reading the same document', async () => {
    const page = await app.inject({ method: 'GET', url: '/docs' });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.body).toContain('/docs/static/swagger-initializer.js');
    expect(page.body).not.toMatch(/https?:\/\//); // No CDN: it works offline.
    const initializer = await app.inject({ method: 'GET', url: '/docs/static/swagger-initializer.js' });
    expect(initializer.statusCode).toBe(200);
    expect(initializer.body).toContain("resolveUrl('./json')");
    const bundle = await app.inject({ method: 'GET', url: '/docs/static/swagger-ui-bundle.js' });
    expect(bundle.statusCode).toBe(200);
    const read = await app.inject({ method: 'GET', url: '/docs/json' });
    expect(read.json()).toEqual(spec);
  });
});
