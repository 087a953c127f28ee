import type { OutgoingHttpHeaders } from 'node:http';
import { httpMetrics } from './http-metrics.ts';
import { once } from 'node:events';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Reply } from '../../core/contracts/reply.ts';
import type { StreamPart } from '../../core/contracts/stream-part.ts';
import { deserializeError, GatewayError, toGatewayError } from '../../core/errors/gateway-error.ts';
import { toHttpError } from './error-body.ts';
import { rateLimitHeaders } from './rate-limit-headers.ts';
import { routeHeaders } from './route-headers.ts';

/** What streaming needs from the queue layer: the job's parts, and a way to cancel it. */
export interface StreamPort {
  subscribe(jobId: string, options: { signal: AbortSignal }): AsyncIterable<{ id: string; part: StreamPart }>;
  cancel(jobId: string): Promise<void>;
  /**
   * Settles when the job ends; rejects if it ends without an answer (a dropped job publishes nothing).
   * Call it before enqueueing: the wait is registered at once.
   */
  awaitReply(jobId: string, options: { timeoutMs: number }): Promise<Reply>;
}

export interface StreamResponseOptions {
  jobId: string;
  /** The job's reply, awaited since before it was enqueued; rejects if the job ends unanswered. */
  reply: Promise<Reply>;
  /** SSE (`text/event-stream`, OpenAI's framing) or newline-delimited JSON over chunked encoding. */
  format: 'sse' | 'ndjson';
  /** Turns one non-error part into the chunks to send. */
  toChunks: (part: Exclude<StreamPart, { type: 'error' }>) => object[];
  streams: StreamPort;
  timeoutMs: number;
  /** Sent with the answer, whether it streams or fails before its first part. */
  headers?: Record<string, string>;
  /** A comment line on an idle SSE connection, so proxies do not cut it. Default: 15 000 ms. */
  keepAliveMs?: number;
}

/**
 * Relays a job's parts to the client as they come. A client that goes away cancels the job (so no
 * tokens are bought for nobody); a slow client is never buffered for: the next part is read only once
 * the socket has drained. Errors end the stream with an error event in OpenAI's shape, never a clean end.
 */
export async function streamResponse(request: FastifyRequest, reply: FastifyReply, options: StreamResponseOptions) {
  const { jobId, reply: answer, format, toChunks, streams, timeoutMs, headers = {}, keepAliveMs = 15_000 } = options;
  const res = reply.raw;
  // What the hooks set (security headers, CORS) goes out with the raw response too.
  const hooked = reply.getHeaders() as OutgoingHttpHeaders;
  reply.hijack();
  // Headers wait for the first part: a job refused or failed before any output (a rate limit, every
  // provider down) is then a plain HTTP error with its own status, as OpenAI answers a stream it cannot start.
  let keepAlive: NodeJS.Timeout | undefined;
  const open = (part: StreamPart) => {
    if (res.headersSent) return;
    res.writeHead(200, {
      ...hooked,
      ...headers,
      ...(part.type === 'start' ? routeHeaders(part.route) : {}),
      'content-type': format === 'sse' ? 'text/event-stream; charset=utf-8' : 'application/x-ndjson; charset=utf-8',
      'cache-control': 'no-cache',
      'x-request-id': request.id,
    });
    res.flushHeaders();
    if (format === 'sse') keepAlive = setInterval(() => res.write(': keep-alive\n\n'), keepAliveMs);
  };

  const controller = new AbortController();
  let ended = false;
  res.on('close', () => {
    if (ended) return;
    controller.abort();
    streams.cancel(jobId).catch((error: unknown) => request.log.warn({ err: error }, 'could not cancel the job'));
  });
  const frame = (data: unknown) => (format === 'sse' ? `data: ${JSON.stringify(data)}\n\n` : `${JSON.stringify(data)}\n`);
  const write = async (text: string) => {
    if (res.write(text)) return;
    await once(res, 'drain', { signal: controller.signal });
  };
  const deadline = setTimeout(() => controller.abort(new GatewayError('timeout', `No complete answer within ${Math.round(timeoutMs / 1000)} s.`)), timeoutMs);
  // A job dropped before publishing anything (it never got to run) must still end this response.
  answer.catch((error: unknown) => {
    if (!controller.signal.aborted) controller.abort(toGatewayError(error));
  });

  let failure: unknown;
  let finished = false;
  httpMetrics.activeStreams.inc({ transport: 'sse' });
  try {
    for await (const { part } of streams.subscribe(jobId, { signal: controller.signal })) {
      if (part.type === 'error') {
        failure = deserializeError(part.error);
        break;
      }
      open(part);
      for (const chunk of toChunks(part)) await write(frame(chunk));
      if (part.type === 'finish') finished = true;
    }
    if (!finished && !failure) failure = controller.signal.reason;
  } catch (error) {
    failure = controller.signal.aborted ? controller.signal.reason : error;
  } finally {
    httpMetrics.activeStreams.dec({ transport: 'sse' });
    clearInterval(keepAlive);
    clearTimeout(deadline);
  }
  if (res.destroyed) return;
  if (failure && !res.headersSent) {
    // The reply follows its error part at once; it carries the limits for the headers.
    const settled = await Promise.race([answer.catch(() => undefined), new Promise<undefined>((resolve) => setTimeout(resolve, 1000, undefined))]);
    const { status, body } = toHttpError(failure, request.id);
    res.writeHead(status, { ...hooked, 'content-type': 'application/json; charset=utf-8', 'x-request-id': request.id, ...headers, ...rateLimitHeaders(settled) });
    ended = true;
    res.end(JSON.stringify(body));
    return;
  }
  if (failure) res.write(frame(toHttpError(failure, request.id).body));
  else if (format === 'sse') res.write('data: [DONE]\n\n');
  ended = true;
  res.end();
}
