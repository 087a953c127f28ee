import { httpMetrics } from '../http-metrics.ts';
import type { FastifyPluginAsync, FastifyRequest, FastifySchema } from 'fastify';
import type { WebSocket } from 'ws';
import { z } from 'zod';
import { deserializeError, GatewayError } from '../../../core/errors/gateway-error.ts';
import { bearerOf, type RequestVerifier } from '../authenticate-request.ts';
import type { ApiPrincipal } from '../../../core/identity/tokens.ts';
import { schemaRefusal, toHttpError } from '../error-body.ts';
import type { JobsPort } from '../jobs-port.ts';
import type { ModelsPort } from '../models-port.ts';
import { chunker } from '../openai-chunks.ts';
import { chatCompletionRequestSchema, completionRequestSchema } from '../openai-schemas.ts';
import { mintResumeToken, readResumeToken } from '../resume-token.ts';
import { completionAsChat, toJob } from '../to-job.ts';

export interface WebSocketOptions {
  jwtKey: Uint8Array;
  /** Checks the bearer credential (the gateway's own token, an identity provider's, or an API key). */
  verify: RequestVerifier;
  models: ModelsPort;
  jobs: JobsPort;
  /** A protocol ping this often; a peer that answered nothing since the last one is dropped. Default: 30 000 ms. */
  pingIntervalMs?: number;
  /** How long a dropped connection's requests keep running, waiting for a `resume`. Default: 10 000 ms. */
  resumeGraceMs?: number;
  /** How long a connection may stay unauthenticated. Default: 10 000 ms. */
  authTimeoutMs?: number;
  /** How long a request may wait for its answer. Default: 120 000 ms. */
  replyTimeoutMs?: number;
  /** Requests (and resumes) running at once on one socket; one more is refused until one ends. Default: 64. */
  maxInFlight?: number;
}

const localId = z.string().regex(/^[\w.:-]{1,100}$/, { error: 'expected an id of 1-100 letters, digits or . : _ -' });

/** What a client may send. Every frame is JSON text. */
const clientFrame = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('auth'), token: z.string().min(1).max(4096) }),
    z.object({
      type: z.literal('request'),
      id: localId,
      endpoint: z.enum(['chat.completions', 'completions']).default('chat.completions'),
      /** Requests sharing a conversation id are answered in order. */
      conversation_id: z.string().max(200).optional(),
      body: z.unknown(),
    }),
    z.object({ type: z.literal('cancel'), id: localId }),
    z.object({
      type: z.literal('resume'),
      id: localId,
      token: z.string().min(1).max(500),
      after: z.string().refine(isCursor, { error: 'expected the cursor of a chunk already received, such as 1732380000000-0' }).optional(),
    }),
    z.object({ type: z.literal('ping') }),
  ],
  { error: 'expected a frame of type auth, request, cancel, resume or ping' },
);

/** The frame protocol, for the API documentation, with this process's times. */
const protocol = (seconds: { auth: number; resume: number; ping: number }, maxInFlight: number) => `One socket, many streamed requests, each tagged with an id the client chooses, so answers interleave. Every frame is JSON text.

**Authenticate** with \`Authorization: Bearer <credential>\` on the upgrade request or, where headers cannot be set (browsers), with a first frame \`{"type":"auth","token":"<credential>"}\` within ${seconds.auth} s. The gateway answers \`{"type":"ready","user":"<subject>"}\`; a bad credential gets an \`error\` frame, then close code 4401.

**Client frames**
- \`{"type":"request","id":"r1","endpoint":"chat.completions","conversation_id":"c1","body":{…}}\`: \`body\` is a POST /v1/chat/completions body (with \`"endpoint":"completions"\`, a POST /v1/completions body), always streamed. Requests sharing a \`conversation_id\` are answered in order.
- \`{"type":"cancel","id":"r1"}\`: stops a running request.
- \`{"type":"resume","id":"r1","token":"<resume token>","after":"<cursor>"}\`: on a new socket after a dropped one (within ${seconds.resume} s), the request's chunks after \`cursor\`.
- \`{"type":"ping"}\`: answered with \`{"type":"pong"}\`.

**Server frames**
- \`{"type":"accepted","id":"r1","resume":"<resume token>"}\`: queued; keep the token to resume.
- \`{"type":"chunk","id":"r1","cursor":"…","data":{…}}\`: \`data\` is one of OpenAI's chunks, as over SSE.
- \`{"type":"done","id":"r1"}\`: the request finished.
- \`{"type":"error","id":"r1","error":{"message","type","param","code"}}\`: the request failed or was cancelled (code \`cancelled\`); \`"id":null\` for a frame that could not be read.

At most ${maxInFlight} requests and resumes run at once on one socket; one more gets an \`error\` frame with code \`rate_limited\` until one ends.

The server pings every ${seconds.ping} s and drops a peer that answered nothing since the last ping.`;

/**
 * GET /v1/ws: one socket, many streamed requests. Each request has an id the client chooses; its
 * chunks (OpenAI's, as over SSE) come back tagged with it, so answers interleave freely. The
 * protocol is in the README.
 */
export const websocket: FastifyPluginAsync<WebSocketOptions> = async (app, options) => {
  const { jwtKey, verify, models, jobs, pingIntervalMs = 30_000, resumeGraceMs = 10_000, authTimeoutMs = 10_000, replyTimeoutMs = 120_000, maxInFlight = 64 } = options;

  const schema: FastifySchema = {
    summary: 'Stream completions over a WebSocket',
    description: protocol({ auth: authTimeoutMs / 1000, resume: resumeGraceMs / 1000, ping: pingIntervalMs / 1000 }, maxInFlight),
    // The credential may come in the first frame instead of the upgrade request.
    security: [{ bearer: [] }, {}],
    response: { 101: z.null().meta({ description: 'Switching Protocols: the socket is open; frames as described above.' }) },
  };
  const plainRequest = () => {
    throw new GatewayError('upgrade_required', 'GET /v1/ws is a WebSocket endpoint: connect with a WebSocket client (Upgrade: websocket).');
  };
  const serve = (socket: WebSocket, request: FastifyRequest) => {
    let principal: ApiPrincipal | undefined;
    httpMetrics.sockets.inc();
    const inFlight = new Map<string, { jobId: string; controller: AbortController }>();
    const send = (frame: object) =>
      new Promise<void>((resolve) => {
        // The callback fires once the frame is handed to the OS: awaiting it is the backpressure.
        if (socket.readyState !== socket.OPEN) return resolve();
        socket.send(JSON.stringify(frame), () => resolve());
      });
    const sendError = (id: string | null, error: unknown) => {
      const { status, body } = toHttpError(error, request.id);
      // What the client cannot fix is ours to see: HTTP routes log it in the error handler, frames here.
      if (status === 500) request.log.error({ err: error, frame: id }, 'websocket request failed');
      return send({ type: 'error', id, error: body.error });
    };

    // Keep-alive: any frame or pong since the last ping proves the peer is there.
    let alive = true;
    const heartbeat = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, pingIntervalMs);
    socket.on('pong', () => (alive = true));

    const authTimer = setTimeout(() => {
      if (!principal) socket.close(4401, 'authenticate within the time limit');
    }, authTimeoutMs);
    /** A bad token gets its reason, then the socket closes: there is nothing else to do on it. */
    const authenticate = async (token: string | undefined) => {
      try {
        principal = await verify(token, request);
      } catch (error) {
        await sendError(null, error);
        socket.close(4401, 'invalid token');
        return;
      }
      clearTimeout(authTimer);
      await send({ type: 'ready', user: principal.subject });
    };
    const header = bearerOf(request);
    // Frames that arrive while the header's token is being checked wait for it.
    let authenticating: Promise<void> | undefined = header ? authenticate(header) : undefined;

    /** Requests and resumes under way on this socket, from their frame to their last answer. */
    let busy = 0;
    const relay = async (id: string, jobId: string, kind: 'chat' | 'text', includeUsage: boolean, afterId?: string) => {
      const controller = new AbortController();
      inFlight.set(id, { jobId, controller });
      httpMetrics.activeStreams.inc({ transport: 'websocket' });
      // A job that ends without publishing (dropped before it ran) must still end this request.
      let dropped: unknown;
      jobs.awaitReply(jobId, { timeoutMs: replyTimeoutMs }).catch((error: unknown) => {
        dropped = error;
        controller.abort();
      });
      const toChunks = chunker({ id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${jobId.replace(/^http-/, '')}`, kind, includeUsage });
      try {
        for await (const { id: cursor, part } of jobs.subscribe(jobId, { signal: controller.signal, ...(afterId ? { afterId } : {}) })) {
          if (part.type === 'error') {
            await sendError(id, deserializeError(part.error));
            return;
          }
          for (const data of toChunks(part)) await send({ type: 'chunk', id, cursor, data });
          if (part.type === 'finish') await send({ type: 'done', id });
        }
        if (dropped) await sendError(id, dropped);
      } finally {
        inFlight.delete(id);
        httpMetrics.activeStreams.dec({ transport: 'websocket' });
      }
    };

    const handlers = {
      async request(frame: Extract<z.infer<typeof clientFrame>, { type: 'request' }>, who: ApiPrincipal) {
        if (inFlight.has(frame.id)) throw new GatewayError('invalid_request', `A request with id "${frame.id}" is still running on this socket.`);
        const kind = frame.endpoint === 'chat.completions' ? 'chat' : 'text';
        const parsed = (kind === 'chat' ? chatCompletionRequestSchema : completionRequestSchema).safeParse(frame.body);
        if (!parsed.success) {
          const [issue] = parsed.error.issues;
          throw schemaRefusal('Invalid request body', issue?.path, issue?.message);
        }
        const body = parsed.data;
        models.resolve(body.model);
        const chat = { ...('messages' in body ? body : completionAsChat(body)), stream: true };
        const headers = frame.conversation_id ? { 'x-conversation-id': frame.conversation_id } : {};
        const job = toJob({ body: chat, principal: who, requestId: `${request.id}.${frame.id}`, headers, jwtKey, replyAddress: jobs.replyAddress });
        await jobs.enqueue(job);
        await send({ type: 'accepted', id: frame.id, resume: mintResumeToken(jwtKey, who.subject, { jobId: job.id, kind }) });
        await relay(frame.id, job.id, kind, body.stream_options?.include_usage === true);
      },
      async resume(frame: Extract<z.infer<typeof clientFrame>, { type: 'resume' }>, who: ApiPrincipal) {
        const resumable = readResumeToken(jwtKey, who.subject, frame.token);
        if (!resumable) throw new GatewayError('invalid_request', 'This resume token is not valid for you.', { param: 'token' });
        await jobs.markResumed(resumable.jobId);
        await relay(frame.id, resumable.jobId, resumable.kind, true, frame.after);
      },
    };

    socket.on('message', (data, isBinary) => {
      alive = true;
      const json = isBinary ? undefined : safeJson(data.toString());
      const frame = clientFrame.safeParse(json);
      if (!frame.success) {
        const [issue] = frame.error.issues;
        void sendError(null, json === undefined ? new GatewayError('invalid_request', 'Unreadable frame: expected JSON text.') : schemaRefusal('Unreadable frame', issue?.path, issue?.message));
        return;
      }
      const message = frame.data;
      const id = 'id' in message ? message.id : null;
      const run = async () => {
        if (message.type === 'ping') return send({ type: 'pong' });
        if (message.type === 'auth') return (authenticating = authenticate(message.token));
        await authenticating;
        if (!principal) throw new GatewayError('missing_token', 'Authenticate first: send {"type":"auth","token":"<token>"}.');
        if (message.type === 'cancel') {
          const running = inFlight.get(message.id);
          if (!running) throw new GatewayError('invalid_request', `No request with id "${message.id}" is running.`);
          running.controller.abort();
          await jobs.cancel(running.jobId);
          return send({ type: 'error', id: message.id, error: toHttpError(new GatewayError('cancelled', 'Cancelled by the client.'), request.id).body.error });
        }
        // One socket may not start work without end: each request is a job, and a job costs a model call.
        // Counted as the frame is taken, not once its job is queued, so a burst cannot slip past.
        if (busy >= maxInFlight) {
          throw new GatewayError('rate_limited', `At most ${maxInFlight} requests may run at once on one socket (WS_MAX_IN_FLIGHT); wait for one to end.`);
        }
        busy += 1;
        try {
          return await (message.type === 'request' ? handlers.request(message, principal) : handlers.resume(message, principal));
        } finally {
          busy -= 1;
        }
      };
      run().catch((error: unknown) => sendError(id, error));
    });

    socket.on('close', () => {
      httpMetrics.sockets.dec();
      clearInterval(heartbeat);
      clearTimeout(authTimer);
      for (const { jobId, controller } of inFlight.values()) {
        controller.abort();
        jobs.cancelUnlessResumed(jobId, resumeGraceMs);
      }
    });
  };
  app.route({ method: 'GET', url: '/v1/ws', schema, handler: plainRequest, wsHandler: serve });
};

/** A chunk's cursor is a Redis stream id: two unsigned 64-bit numbers; anything else Redis refuses. */
function isCursor(value: string): boolean {
  const parts = /^(\d{1,20})-(\d{1,20})$/.exec(value);
  return parts !== null && BigInt(parts[1]!) < 2n ** 64n && BigInt(parts[2]!) < 2n ** 64n;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
