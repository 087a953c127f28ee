import { randomUUID } from 'node:crypto';
import fastifyCors from '@fastify/cors';
import fastifyWebsocket from '@fastify/websocket';
import Fastify, { type FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors/gateway-error.ts';
import type { Accounts } from '../../core/identity/accounts.ts';
import { auditRefusal } from './audit-refusal.ts';
import { authenticateRequest, type RequestVerifier } from './authenticate-request.ts';
import { accountRoutes } from './routes/accounts.ts';
import type { DocumentLibrary } from '../../core/knowledge/document-library.ts';
import { documents } from './routes/documents.ts';
import { apiKeys } from './routes/api-keys.ts';
import { createTokenVerifier, type ExternalJwtOptions } from '../../core/identity/token-verifier.ts';
import type { JobsPort } from './jobs-port.ts';
import type { ModelsPort } from './models-port.ts';
import { toHttpError } from './error-body.ts';
import { chatCompletions } from './routes/chat-completions.ts';
import { health, type HealthCheck } from './routes/health.ts';
import { metrics } from './routes/metrics.ts';
import { openApi } from './openapi.ts';
import { completions } from './routes/completions.ts';
import { embeddings } from './routes/embeddings.ts';
import { models } from './routes/models.ts';
import { websocket, type WebSocketOptions } from './routes/websocket.ts';
import { providers } from './routes/providers.ts';
import { httpMetrics } from './http-metrics.ts';
import { usageRoutes } from './routes/usage.ts';
import { auditRoutes } from './routes/audit.ts';
import type { UsageReports } from '../../core/usage/usage-reports.ts';
import type { AuditLog } from '../../core/audit/audit-log.ts';
import type { ConversationHistory } from '../../core/conversations/conversation-history.ts';
import { conversationRoutes } from './routes/conversations.ts';
import { webChatRoutes } from './routes/web-chat.ts';
import {
  answerBadExpectation,
  answerClientError,
  answerFrameworkError,
  answerUpgradeRefusal,
  closeAfterAnswerIfUpgrade,
  maxHeaderBytes,
  maxPathSegmentChars,
  requestTimeoutMs,
} from './client-errors.ts';
import { exposedHeaders, securityHeaders } from './security-headers.ts';
import { exemplarOf } from '../../core/metrics/exposition.ts';

export interface HttpAdapterOptions {
  jwtKey: Uint8Array;
  /** An identity provider whose tokens are accepted too (JWT_JWKS_URL). Default: none, only the gateway's own. */
  externalJwt?: ExternalJwtOptions;
  log: Logger;
  /** The model registry: which models exist (an unknown one is refused before queueing), embeddings, provider state. */
  models: ModelsPort;
  /** The queue: enqueue, await a reply, relay a streaming job's parts, cancel. */
  jobs: JobsPort;
  healthChecks: Record<string, HealthCheck>;
  /** How long a request waits for its answer. Default: 120 000 ms. */
  replyTimeoutMs?: number;
  /** Largest accepted request body. Default: 1 MiB. */
  bodyLimit?: number;
  /** Origins whose pages may call the API from a browser (CORS_ORIGINS); `*` is any. Default: none, same-origin only. */
  corsOrigins?: string[];
  /**
   * Accounts: API keys accepted as bearer credentials, the key, user, link and pairing endpoints, and
   * refused credentials audited. Default: none of these (tokens only).
   */
  accounts?: Accounts;
  /** The knowledge base behind /v1/documents (admins). Default: none, and no such routes. */
  documents?: DocumentLibrary;
  /** Usage and cost behind /v1/usage. Default: none, and no such route. */
  usage?: UsageReports;
  /** The audit trail behind /v1/audit (admins). Default: none, and no such routes. */
  audit?: AuditLog;
  /** Stored conversations behind /v1/conversations. Default: none, and no such routes. */
  conversations?: ConversationHistory;
  /** Keep-alive and resume timing of /v1/ws. Default: see WebSocketOptions. */
  websocket?: Pick<WebSocketOptions, 'pingIntervalMs' | 'resumeGraceMs' | 'authTimeoutMs' | 'maxInFlight'>;
}

const requestIdPattern = /^[\w.:-]{1,128}$/;
/** How long a WebSocket peer has to answer the server's close frame when the gateway stops. */
const closeHandshakeMs = 2000;

/** The HTTP adapter: the OpenAI-compatible API, health and models, as one fastify instance. */
export function buildHttpAdapter(options: HttpAdapterOptions) {
  const { jwtKey, log, replyTimeoutMs = 120_000, bodyLimit = 1024 * 1024, corsOrigins = [] } = options;
  const app = Fastify({
    loggerInstance: log,
    bodyLimit,
    // A request without Host is refused by the onRequest hook below, in the API's error shape.
    http: { maxHeaderSize: maxHeaderBytes, requireHostHeader: false },
    requestTimeout: requestTimeoutMs,
    clientErrorHandler: answerClientError,
    frameworkErrors: answerFrameworkError,
    routerOptions: { maxParamLength: maxPathSegmentChars },
    // A caller's X-Request-Id is kept, so one id follows the request through their systems and ours.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && requestIdPattern.test(given) ? given : `req_${randomUUID().replaceAll('-', '')}`;
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // A JSON API: a text/plain body is the wrong media type (415), not a string that fails the schema.
  app.removeContentTypeParser('text/plain');
  app.server.on('checkExpectation', answerBadExpectation);

  app.addHook('onRequest', async (request, reply) => {
    reply.headers(securityHeaders);
    reply.header('x-request-id', request.id);
    closeAfterAnswerIfUpgrade(request, reply);
    // Counted when the response closes: a hijacked reply (a stream) never reaches onResponse, and its
    // duration is the stream's.
    const started = performance.now();
    reply.raw.once('close', () => {
      const route = request.routeOptions.url ?? 'unmatched';
      httpMetrics.requests.inc({ method: request.method, route, status: String(reply.raw.statusCode) });
      httpMetrics.seconds.observe({ labels: { method: request.method, route }, value: (performance.now() - started) / 1000, exemplarLabels: exemplarOf(request.id) });
    });
    if (request.raw.httpVersion === '1.1' && !request.headers.host) throw new GatewayError('invalid_request', 'The request has no Host header, which HTTP/1.1 requires.');
  });
  app.setErrorHandler((error, request, reply) => {
    const { status, body } = toHttpError(error, request.id, { bodyLimit: request.routeOptions.bodyLimit ?? bodyLimit });
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    else request.log.info({ code: body.error.code }, 'request refused');
    return reply.code(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    const error = new GatewayError('not_found', `There is no route ${request.method} ${request.url.split('?')[0]}.`);
    const { status, body } = toHttpError(error, request.id);
    return reply.code(status).send(body);
  });

  const { accounts } = options;
  const verifyCredential = createTokenVerifier(jwtKey, options.externalJwt, accounts?.keys);
  // A refused credential leaves an audit record (what kind, where from; never the credential itself).
  const verify: RequestVerifier = async (token, request) => {
    try {
      return await verifyCredential(token);
    } catch (error) {
      if (accounts) await auditRefusal(accounts, request, token, error).catch((cause: unknown) => request.log.error({ err: cause }, 'audit failed'));
      throw error;
    }
  };
  const authenticate = (request: FastifyRequest) => authenticateRequest(request, verify);
  if (corsOrigins.length > 0) {
    app.register(fastifyCors, { origin: corsOrigins.includes('*') ? '*' : corsOrigins, methods: ['GET', 'POST', 'PATCH', 'DELETE'], exposedHeaders, maxAge: 600 });
  }
  // First: its onRoute hook must see every route registered after it.
  app.register(openApi);
  app.register(webChatRoutes);
  app.register(health, { checks: options.healthChecks });
  app.register(metrics);
  app.register(models, { authenticate, models: options.models });
  app.register(providers, { authenticate, models: options.models });
  app.register(embeddings, { authenticate, models: options.models });
  const chat = { jwtKey, authenticate, models: options.models, jobs: options.jobs, replyTimeoutMs };
  app.register(chatCompletions, chat);
  app.register(completions, chat);
  if (accounts) {
    const actorOf = async (request: FastifyRequest) => {
      const principal = await authenticate(request);
      const user = await accounts.resolve({ platform: 'http', externalId: principal.subject, ...(principal.apiKey ? {} : { role: principal.role }) });
      const actor = { user, requestId: request.id };
      await accounts.requireActive(actor, `http ${request.method} ${request.routeOptions.url}`);
      return actor;
    };
    app.register(apiKeys, { accounts, actorOf });
    app.register(accountRoutes, { accounts, actorOf });
    if (options.documents) app.register(documents, { actorOf, library: options.documents });
    if (options.usage) app.register(usageRoutes, { actorOf, usage: options.usage });
    if (options.audit) app.register(auditRoutes, { actorOf, audit: options.audit });
    if (options.conversations) app.register(conversationRoutes, { actorOf, conversations: options.conversations });
  }
  app.register(async (scope) => {
    await scope.register(fastifyWebsocket, {
      options: { maxPayload: bodyLimit },
      // A broken frame (invalid UTF-8, over maxPayload) is the client's fault: ws closes the socket
      // with the code that says why (1007, 1009), so it is logged as a refusal, not terminated as a crash.
      errorHandler(error: Error & { code?: string }, socket, request) {
        if (error.code?.startsWith('WS_ERR_')) return request.log.info({ code: error.code }, `websocket closed: ${error.message}`);
        request.log.warn({ err: error }, 'websocket failed');
        socket.terminate();
      },
      // Stopping: each socket is told so (1012, service restart), so its client reconnects and resumes.
      // A peer that never answers the close frame would hold the server open for ws's own 30 s: it
      // gets closeHandshakeMs, then its socket goes.
      preClose(done) {
        const clients = [...this.websocketServer.clients];
        for (const client of clients) client.close(1012, 'the gateway is restarting: reconnect and resume');
        setTimeout(() => clients.forEach((client) => client.terminate()), closeHandshakeMs).unref();
        this.websocketServer.close();
        done();
      },
    });
    scope.websocketServer.on('wsClientError', answerUpgradeRefusal);
    await scope.register(websocket, { jwtKey, verify, models: options.models, jobs: options.jobs, replyTimeoutMs, ...options.websocket });
  });
  return app;
}
export type HttpAdapter = ReturnType<typeof buildHttpAdapter>;
